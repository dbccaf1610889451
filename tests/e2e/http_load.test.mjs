// Streamable HTTP under load and observability endpoints: 200 concurrent SDK clients for a bounded
// time with no failed call; /health; /metrics as Prometheus text (checked by promtool) and JSON.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { text } from './lib.mjs';
import { demoDbFactory, startHttp, connectSdk, post, openSession } from './http_lib.mjs';

let dbs;
before(async () => { dbs = await demoDbFactory(); });
after(() => dbs.cleanup());

test('200 concurrent SDK clients (bounded: 20 calls or 20 s each): every call succeeds', async () => {
  // 200 clients may all have a call in flight at once: the limit is raised above that.
  const srv = await startHttp({ SQLITE_PATH: dbs.master, MCP_MAX_CONCURRENT_REQUESTS: '400' });
  const CLIENTS = 200, CALLS = 20, deadline = Date.now() + 20000;
  const failures = [];
  let ok = 0;
  try {
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connectSdk(srv.url)));
    await Promise.all(clients.map(async ({ client }, i) => {
      for (let n = 0; n < CALLS && Date.now() < deadline; n++) {
        try {
          const id = ((i * CALLS + n) % 40) + 1;
          const r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM Article WHERE Article_Id = ?', parameters: [id] } });
          if (r.isError) failures.push(text(r));
          else ok++;
        } catch (e) {
          failures.push(String(e));
        }
      }
    }));
    await Promise.all(clients.map(({ client }) => client.close()));
    assert.deepEqual(failures.slice(0, 5), []);
    assert.ok(ok >= CLIENTS, `${ok} calls succeeded`);
    const m = await (await fetch(`${srv.base}/metrics?format=json`)).json();
    assert.ok(m.summary.by_tool.read_data.calls >= ok);
    assert.equal(m.summary.by_tool.read_data.errors, 0);
  } finally {
    const r = await srv.stop();
    assert.equal(r.code, 0);
  }
});

test('/health reports status, version, uptime, backend, database latency and features', async () => {
  const srv = await startHttp({ SQLITE_PATH: dbs.master });
  try {
    const r = await fetch(`${srv.base}/health`);
    assert.equal(r.status, 200);
    const h = await r.json();
    assert.equal(h.status, 'healthy');
    assert.match(h.version, /^\d+\.\d+\.\d+/);
    assert.equal(typeof h.uptime_s, 'number');
    assert.equal(h.backend, 'sqlite');
    assert.equal(h.database.status, 'connected');
    assert.equal(typeof h.database.latency_ms, 'number');
    assert.equal(h.features.transport, 'streamable-http');
    // A flood of /health is served from a short cache (one database probe at a time).
    const all = await Promise.all(Array.from({ length: 50 }, () => fetch(`${srv.base}/health`).then((x) => x.status)));
    assert.ok(all.every((s) => s === 200));
  } finally {
    await srv.stop();
  }
});

test('/health is 503 when the database becomes unreachable', async () => {
  // A SQL Server backend on the Python TDS test server, which is then stopped.
  const tds = spawn('/usr/bin/python3', [path.resolve(import.meta.dirname, '../tds_server/tds_server.py'), '--port', '0'],
    { stdio: ['pipe', 'pipe', 'ignore'] });
  const info = await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('TDS test server did not start')), 15000);
    tds.stdout.on('data', (d) => {
      out += d.toString();
      if (out.includes('\n')) { clearTimeout(t); resolve(JSON.parse(out.split('\n')[0])); }
    });
  });
  const tdsExit = new Promise((r) => tds.on('exit', r));
  const srv = await startHttp({ AZURE_SQL_SERVER: `127.0.0.1,${info.port}`, AZURE_SQL_DATABASE: 'demo', AZURE_SQL_USERNAME: 'sa',
    AZURE_SQL_PASSWORD: 'Passw0rd!', AZURE_SQL_TRUST_SERVER_CERTIFICATE: 'yes', AZURE_SQL_CONNECTION_TIMEOUT: '2' });
  try {
    const up = await fetch(`${srv.base}/health`);
    assert.equal(up.status, 200);
    assert.equal((await up.json()).backend, 'sqlserver');
    tds.kill('SIGTERM');
    await tdsExit;
    let r, h;
    for (let i = 0; i < 50; i++) {  // the probe result is cached for about a second
      r = await fetch(`${srv.base}/health`);
      h = await r.json();
      if (r.status !== 200) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    assert.equal(r.status, 503);
    assert.equal(h.status, 'unhealthy');
    assert.equal(h.database.status, 'unreachable');
    assert.ok(!JSON.stringify(h).includes('Passw0rd'));
  } finally {
    if (tds.exitCode === null) tds.kill('SIGKILL');
    await srv.stop();
    assert.ok(!srv.stderr.includes('Passw0rd'));
  }
});

test('/metrics: Prometheus text that passes promtool; JSON summary with bounded history', async () => {
  const srv = await startHttp({ SQLITE_PATH: dbs.master, MAX_REQUEST_HISTORY: '5' });
  try {
    const sid = await openSession(srv.url);
    const h = { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' };
    for (let i = 0; i < 8; i++) await post(srv.url, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'list_tables', arguments: {} } }, h);
    await post(srv.url, { jsonrpc: '2.0', id: 'bad', method: 'tools/call', params: { name: 'read_data', arguments: { query: 'SELECT * FROM no_such_table' } } }, h);
    await post(srv.url, { jsonrpc: '2.0', id: 'x', method: 'no/such/method' }, h);

    // Prometheus' own scrape Accept header (content negotiation; a plain fetch gets the JSON summary).
    const scrape = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    const r = await fetch(`${srv.base}/metrics`, { headers: { Accept: scrape } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const body = await r.text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(body, /azsql_mcp_requests_total\{method="tools\/call",outcome="ok",tool="list_tables"\} 8/);
    assert.match(body, /azsql_mcp_requests_total\{method="tools\/call",outcome="tool_error",tool="read_data"\} 1/);
    assert.match(body, /azsql_mcp_requests_total\{method="other",outcome="error",tool=""\} 1/);
    assert.match(body, /azsql_mcp_request_duration_seconds_bucket\{method="tools\/call",tool="list_tables",le="/);
    assert.match(body, /azsql_mcp_sessions 1/);
    assert.match(body, /azsql_db_pool_connections\{state="open"\} \d/);
    assert.match(body, /azsql_db_errors_total\{number="1"\} 1/);

    const j = await (await fetch(`${srv.base}/metrics?format=json`)).json();
    assert.equal(j.recent_requests.length, 5);
    assert.equal(j.max_request_history, 5);
    assert.ok(j.summary.total_requests >= 11);
    const viaAccept = await fetch(`${srv.base}/metrics`, { headers: { Accept: 'application/json' } });
    assert.match(viaAccept.headers.get('content-type'), /^application\/json/);
    const plain = await fetch(`${srv.base}/metrics`, { headers: { Accept: '*/*' } });
    assert.match(plain.headers.get('content-type'), /^application\/json/);
    const prom = await fetch(`${srv.base}/metrics`, { headers: { Accept: 'text/plain;version=0.0.4' } });
    assert.match(prom.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  } finally {
    await srv.stop();
  }
});
