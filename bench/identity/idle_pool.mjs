// Memory per idle per-user pool (PRODUCT.md §8: ≤ 256 KiB), issue 12.
//
// The real binary in MCP_AUTH_MODE=entra with AZURE_SQL_AUTH_TYPE=on_behalf_of, the fake Entra
// (tests/fakes/fake_azure.py) and the Python TDS test server (one principal per user). Users call one
// tool each, one after another, and close their MCP session: each leaves one idle pool with one open,
// TLS-encrypted, logged-in connection (the idle timeout is far away). RSS is read after a warm-up group
// (first-use allocations: TLS library state, allocator arenas, code pages) and again after the measured
// group; the difference divided by the group's size is the cost of one idle user pool.
//
//   node bench/identity/idle_pool.mjs [users=200] [warmup=20]
// Needs build/azsql-mcp (AZSQL_BIN overrides). Prints one JSON line.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startHttp } from '../../tests/e2e/http_lib.mjs';
import { tempDir, rmSync, startTdsServer, startFakeAzure } from '../../tests/e2e/lib.mjs';

const USERS = Number(process.argv[2] ?? 200);
const WARMUP = Number(process.argv[3] ?? 20);
const APP = 'api://azsql-mcp';
const DEADLINE = Date.now() + 10 * 60 * 1000;  // the whole run is bounded

function memKiB(pid) {
  const s = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)[1]);
  return { rss: field('Rss'), anon: field('Anonymous') };
}
const settle = () => new Promise((r) => setTimeout(r, 1500));

async function oneUser(srv, fake, i) {
  const spec = { oid: `oid-idle${i}`, upn: `idle${i}@example.test`, scp: 'Sql.Read' };
  const token = (await (await fetch(`${fake.authority_host}/_mint`, { method: 'POST', body: JSON.stringify(spec) })).json()).token;
  const transport = new StreamableHTTPClientTransport(new URL(srv.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: `idle-${i}`, version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  const r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT SUSER_SNAME() AS who' } });
  const who = r.structuredContent?.rows?.[0]?.[0];
  if (r.isError || who !== spec.upn) throw new Error(`user ${i}: unexpected answer ${JSON.stringify(r).slice(0, 300)}`);
  await transport.terminateSession().catch(() => {});
  await client.close();
}

async function openConnections(srv) {
  const m = await (await fetch(`${srv.base}/metrics`, { headers: { Accept: 'text/plain;version=0.0.4' } })).text();
  return {
    pools: Number(/^azsql_user_pools (\d+)/m.exec(m)?.[1]),
    open: Number(/^azsql_user_pool_connections\{state="open"\} (\d+)/m.exec(m)?.[1]),
  };
}

const dir = tempDir('azsql-idle-pool-');
const map = path.join(dir, 'sql_tokens.json');
const total = USERS + WARMUP;
let fake, tds, srv;
try {
  fake = await startFakeAzure(['--cert-dir', path.join(dir, 'certs'), '--sql-token-map', map, '--api-audience', APP]);
  const principals = Array.from({ length: total }, (_, i) => ['--principal', `idle${i}@example.test=db_datareader`]).flat();
  tds = await startTdsServer(['--token-map', map, ...principals]);
  srv = await startHttp({
    MCP_AUTH_MODE: 'entra', MCP_AUTH_TENANT_ID: fake.tenant, MCP_AUTH_AUDIENCE: APP, AZURE_AUTHORITY_HOST: fake.authority_host,
    MCP_AUTH_USER_IDLE_TIMEOUT: '3600', MCP_AUTH_USER_POOL_SIZE: '2', MCP_AUTH_MAX_USERS: String(total + 10),
    AZURE_SQL_SERVER: `127.0.0.1,${tds.port}`, AZURE_SQL_DATABASE: 'demo', AZURE_SQL_CA_FILE: tds.cert,
    AZURE_SQL_AUTH_TYPE: 'on_behalf_of', AZURE_TENANT_ID: fake.tenant, AZURE_CLIENT_ID: fake.client_id,
    AZURE_CLIENT_SECRET: 'fake-secret-value', MCP_QUERY_TIMEOUT: '20',
  });
  const start = memKiB(srv.proc.pid);
  for (let i = 0; i < WARMUP; i++) await oneUser(srv, fake, i);
  await settle();
  const warm = memKiB(srv.proc.pid);
  const t0 = Date.now();
  for (let i = WARMUP; i < total; i++) {
    if (Date.now() > DEADLINE) throw new Error(`out of time after ${i - WARMUP} users`);
    await oneUser(srv, fake, i);
  }
  const seconds = (Date.now() - t0) / 1000;
  await settle();
  const end = memKiB(srv.proc.pid);
  const pools = await openConnections(srv);
  if (pools.pools < total) throw new Error(`expected ${total} idle pools, the server holds ${pools.pools}`);
  console.log(JSON.stringify({
    users: USERS, warmup: WARMUP, idle_pools: pools.pools, open_connections: pools.open, seconds,
    rss_kib: { start: start.rss, warm: warm.rss, end: end.rss },
    per_idle_pool_kib: { rss: Math.round((end.rss - warm.rss) / USERS), anonymous: Math.round((end.anon - warm.anon) / USERS) },
  }));
} finally {
  await srv?.stop();
  tds?.stop();
  fake?.stop();
  rmSync(dir, { recursive: true, force: true });
}
