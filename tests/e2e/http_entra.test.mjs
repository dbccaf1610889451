// Per-user identity end to end (issue 12): the real binary as an OAuth 2.1 resource server
// (MCP_AUTH_MODE=entra) with on-behalf-of sign-in to SQL Server (AZURE_SQL_AUTH_TYPE=on_behalf_of),
// against the fake Entra (tests/fakes/fake_azure.py: OpenID discovery, JWKS, user tokens, OBO grant)
// and the Python TDS server mapping each OBO-issued SQL token to its own principal and roles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { discoverOAuthServerInfo, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { startHttp, post, initBody, JSON_HEADERS } from './http_lib.mjs';
import { tempDir, rmSync, startTdsServer, startFakeAzure, text, rssKiB } from './lib.mjs';

const APP = 'api://azsql-mcp';
let fake, tds, srv, dir, auditPath;

async function mint(spec) {
  const r = await fetch(`${fake.authority_host}/_mint`, { method: 'POST', body: JSON.stringify(spec) });
  return (await r.json()).token;
}
async function control(c) {
  await fetch(`${fake.authority_host}/_control`, { method: 'POST', body: JSON.stringify(c) });
}
async function fakeLog(endpoint) {
  const r = await (await fetch(`${fake.authority_host}/_log`)).json();
  return r.requests.filter((e) => !endpoint || e.endpoint === endpoint);
}
const user = (name, scp = 'Sql.Read Sql.Write', extra = {}) =>
  mint({ oid: `oid-${name}`, upn: `${name}@example.test`, name: `User ${name}`, scp, ...extra });

async function sdk(token, name = 'entra-e2e') {
  const transport = new StreamableHTTPClientTransport(new URL(srv.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name, version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return client;
}
const whoami = async (client) => {
  const r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT SUSER_SNAME() AS who' } });
  assert.ok(!r.isError, text(r));
  return r.structuredContent.rows[0].who ?? r.structuredContent.rows[0][0];
};

before(async () => {
  dir = tempDir('azsql-entra-e2e-');
  const map = path.join(dir, 'sql_tokens.json');
  auditPath = path.join(dir, 'audit.jsonl');
  fake = await startFakeAzure(['--cert-dir', path.join(dir, 'certs'), '--sql-token-map', map, '--api-audience', APP]);
  const principals = ['alice=db_datareader,db_datawriter', 'bob=db_datareader', 'carol=db_datareader', 'dave=db_datareader'];
  const load = Array.from({ length: 50 }, (_, i) => `load${i}@example.test=db_datareader`);
  tds = await startTdsServer(['--token-map', map,
    ...principals.flatMap((p) => ['--principal', p.replace('=', '@example.test=')]),
    ...load.flatMap((p) => ['--principal', p])]);
  srv = await startHttp({
    MCP_AUTH_MODE: 'entra', MCP_AUTH_TENANT_ID: fake.tenant, MCP_AUTH_AUDIENCE: APP, AZURE_AUTHORITY_HOST: fake.authority_host,
    MCP_AUTH_JWKS_MIN_REFRESH: '0', MCP_AUTH_USER_IDLE_TIMEOUT: '3', MCP_AUTH_USER_POOL_SIZE: '2',
    AZURE_SQL_SERVER: `127.0.0.1,${tds.port}`, AZURE_SQL_DATABASE: 'demo', AZURE_SQL_CA_FILE: tds.cert,
    AZURE_SQL_AUTH_TYPE: 'on_behalf_of', AZURE_TENANT_ID: fake.tenant, AZURE_CLIENT_ID: fake.client_id,
    AZURE_CLIENT_SECRET: 'fake-secret-value', MCP_AUDIT_LOG: auditPath, MCP_QUERY_TIMEOUT: '20',
    MCP_MAX_CONCURRENT_REQUESTS: '400', CONNECTION_POOL_SIZE: '8',
  });
});
after(async () => {
  await srv?.stop();
  tds?.stop();
  fake?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const metadataUrl = () => `${srv.base}/.well-known/oauth-protected-resource/mcp`;

test('every bad token is answered 401 with a Bearer challenge naming the resource metadata', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    ['missing', null],
    ['not a bearer credential', 'Basic dXNlcjpwYXNz'],
    ['garbage', 'Bearer not.a.jwt'],
    ['expired', `Bearer ${await user('x', 'Sql.Read', { claims: { exp: now - 3600, nbf: now - 7200 } })}`],
    ['not yet valid', `Bearer ${await user('x', 'Sql.Read', { claims: { nbf: now + 3600 } })}`],
    ['wrong audience', `Bearer ${await user('x', 'Sql.Read', { aud: 'api://someone-else' })}`],
    ['wrong issuer', `Bearer ${await user('x', 'Sql.Read', { claims: { iss: 'https://evil.example/v2.0' } })}`],
    ['bad signature', `Bearer ${await user('x', 'Sql.Read', { sign: 'tamper' })}`],
    ['unknown kid', `Bearer ${await user('x', 'Sql.Read', { sign: 'unpublished' })}`],
    ['alg none', `Bearer ${await user('x', 'Sql.Read', { sign: 'none' })}`],
    ['HS256 keyed with the public key', `Bearer ${await user('x', 'Sql.Read', { sign: 'hs256-public' })}`],
    ['another tenant', `Bearer ${await user('x', 'Sql.Read', { tid: '00000000-0000-0000-0000-0000000000ff' })}`],
    ['no oid', `Bearer ${await user('x', 'Sql.Read', { claims: { oid: null } })}`],
  ];
  for (const [label, auth] of cases) {
    const r = await post(srv.url, initBody(), auth ? { Authorization: auth } : {});
    assert.equal(r.status, 401, `${label}: ${r.status} ${r.text}`);
    const h = r.headers.get('www-authenticate') || '';
    assert.match(h, /^Bearer /, label);
    assert.ok(h.includes(`resource_metadata="${metadataUrl()}"`), `${label}: ${h}`);
    if (label === 'missing') {
      assert.ok(!h.includes('error='), `missing token: no error attribute (RFC 6750 §3.1): ${h}`);
      assert.ok(h.includes(`scope="${APP}/Sql.Read"`), h);
    } else if (label === 'not a bearer credential') {
      assert.ok(h.includes('error="invalid_request"'), h);
    } else {
      assert.ok(h.includes('error="invalid_token"'), `${label}: ${h}`);
    }
    // The token never comes back in the answer.
    if (auth && auth.length > 40) assert.ok(!r.text.includes(auth.slice(7, 60)) && !h.includes(auth.slice(7, 60)));
  }
  // GET and DELETE on the endpoint need the token too; /health does not.
  const g = await fetch(srv.url, { headers: { Accept: 'text/event-stream' } });
  assert.equal(g.status, 401);
  const health = await fetch(`${srv.base}/health`);
  assert.equal(health.status, 200);
  const hb = await health.json();
  assert.equal(hb.database.status, 'per-user');
});

test('Protected Resource Metadata (RFC 9728) at both paths, found by the SDK client from the 401', async () => {
  for (const p of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
    const r = await fetch(srv.base + p);
    assert.equal(r.status, 200, p);
    assert.match(r.headers.get('content-type'), /application\/json/);
    const m = await r.json();
    assert.equal(m.resource, srv.url, 'resource = the canonical MCP endpoint URI');
    assert.deepEqual(m.authorization_servers, [fake.issuer]);
    assert.deepEqual(m.scopes_supported, [`${APP}/Sql.Read`, `${APP}/Sql.Write`]);
    assert.deepEqual(m.bearer_methods_supported, ['header']);
  }
  // The SDK's own discovery: protected resource metadata, then the authorization server's OpenID document.
  const info = await discoverOAuthServerInfo(srv.url);
  assert.equal(info.authorizationServerUrl, fake.issuer);
  assert.equal(info.resourceMetadata.resource, srv.url);
  assert.equal(info.authorizationServerMetadata.authorization_endpoint, `${fake.authority_host}/${fake.tenant}/oauth2/v2.0/authorize`);
  // The SDK client's auth flow, started by the 401 on connect: it reads resource_metadata from the
  // challenge and sends the user to the tenant's authorize endpoint for this resource and scope.
  let redirected;
  const provider = {
    get redirectUrl() { return 'http://127.0.0.1:1/callback'; },
    get clientMetadata() { return { redirect_uris: ['http://127.0.0.1:1/callback'], client_name: 'e2e' }; },
    clientInformation: () => ({ client_id: 'client-app' }),
    tokens: () => undefined,
    saveTokens: () => {},
    redirectToAuthorization: (u) => { redirected = u; },
    saveCodeVerifier: () => {},
    codeVerifier: () => 'v',
  };
  const client = new Client({ name: 'discovery', version: '1' }, { capabilities: {} });
  await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(srv.url), { authProvider: provider })),
    (e) => e instanceof UnauthorizedError);
  assert.ok(redirected, 'the SDK started the authorization flow');
  assert.equal(redirected.origin + redirected.pathname, `${fake.authority_host}/${fake.tenant}/oauth2/v2.0/authorize`);
  assert.equal(redirected.searchParams.get('resource'), srv.url);
  assert.equal(redirected.searchParams.get('scope'), `${APP}/Sql.Read`);
});

test('scopes: a reader is refused write tools with 403 insufficient_scope; the database refuses a reader\'s write', async () => {
  const reader = await user('bob', 'Sql.Read');
  const c = await sdk(reader);
  assert.equal(await whoami(c), 'bob@example.test');
  const tools = (await c.listTools()).tools.map((t) => t.name);
  assert.ok(tools.includes('insert_data'), 'write tools stay listed for readers (documented choice)');
  await assert.rejects(c.callTool({ name: 'insert_data', arguments: { table: 'Region', rows: [{ Region_Libelle: 'X' }] } }),
    (e) => /403|insufficient_scope|Forbidden/.test(String(e)));
  await c.close();
  // Raw: the 403 names the write scope.
  const init = await post(srv.url, initBody(), { Authorization: `Bearer ${reader}` });
  const sid = init.headers.get('mcp-session-id');
  const h = { Authorization: `Bearer ${reader}`, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' };
  await post(srv.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h);
  const r = await post(srv.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'update_data', arguments: { sql: "UPDATE Region SET Region_Libelle = 'y' WHERE 1 = 0" } } }, h);
  assert.equal(r.status, 403);
  const www = r.headers.get('www-authenticate');
  assert.ok(www.includes('error="insufficient_scope"') && www.includes(`scope="${APP}/Sql.Write"`), www);
  // A token with no read or write scope at all is forbidden from everything.
  const none = await post(srv.url, initBody(), { Authorization: `Bearer ${await user('bob', 'Other.Scope')}` });
  assert.equal(none.status, 403);
  // Bob's token claims Sql.Write, but his database user is only db_datareader: the server refuses.
  const claimsWrite = await sdk(await user('bob', 'Sql.Read Sql.Write'));
  const w = await claimsWrite.callTool({ name: 'insert_data', arguments: { table: 'Region', rows: [{ Region_Libelle: 'Nope' }] } });
  assert.ok(w.isError, 'the database refused the write');
  assert.match(text(w), /229|permission was denied/i);
  await claimsWrite.close();
});

test("a session belongs to the user who created it: another user's token with its id is 404", async () => {
  const alice = await user('alice');
  const init = await post(srv.url, initBody(), { Authorization: `Bearer ${alice}` });
  assert.equal(init.status, 200);
  const sid = init.headers.get('mcp-session-id');
  const h = (tok) => ({ Authorization: `Bearer ${tok}`, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' });
  assert.equal((await post(srv.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h(alice))).status, 202);
  const bob = await user('bob', 'Sql.Read');
  const stolen = await post(srv.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, h(bob));
  assert.equal(stolen.status, 404);
  const del = await fetch(srv.url, { method: 'DELETE', headers: h(bob) });
  assert.equal(del.status, 404);
  // A fresh token of the same user (same tid/oid) keeps working with the session.
  const again = await post(srv.url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, h(await user('alice')));
  assert.equal(again.status, 200);
});

test('two users at once: their own SUSER_SNAME(), their own pools, audit lines naming each', async () => {
  const [a, b] = await Promise.all([sdk(await user('alice')), sdk(await user('bob', 'Sql.Read'))]);
  const [wa, wb] = await Promise.all([whoami(a), whoami(b)]);
  assert.equal(wa, 'alice@example.test');
  assert.equal(wb, 'bob@example.test');
  const ins = await a.callTool({ name: 'insert_data', arguments: { table: 'Region', rows: [{ Region_Libelle: 'Alice was here' }] } });
  assert.ok(!ins.isError, text(ins));
  const metrics = await (await fetch(`${srv.base}/metrics`, { headers: { Accept: 'text/plain;version=0.0.4' } })).text();
  const pools = Number(/^azsql_user_pools (\d+)/m.exec(metrics)?.[1]);
  assert.ok(pools >= 2, metrics);
  assert.match(metrics, /^azsql_auth_requests_total\{outcome="accepted"\} \d+$/m);
  // One exposition: every family announced once (the auth figures come through the same serializer).
  const types = metrics.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
  assert.equal(new Set(types).size, types.length, `duplicate # TYPE lines: ${types.join(', ')}`);
  await Promise.all([a.close(), b.close()]);
  const lines = readFileSync(auditPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const calls = lines.filter((l) => l.tool === 'read_data' || l.tool === 'insert_data');
  assert.ok(calls.length > 0);
  for (const l of lines) assert.ok(l.caller?.oid, `every audit line names the caller: ${JSON.stringify(l)}`);
  assert.ok(calls.some((l) => l.caller.oid === 'oid-alice' && l.caller.upn === 'alice@example.test' && l.tool === 'insert_data'));
  assert.ok(calls.some((l) => l.caller.oid === 'oid-bob' && l.caller.upn === 'bob@example.test'));
  // The user's bearer token is in no audit line.
  const raw = readFileSync(auditPath, 'utf8');
  assert.ok(!/eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}\./.test(raw), 'no JWT in the audit log');
});

test('key rotation during a run: tokens signed with the new key are accepted after one JWKS refetch', async () => {
  const before = (await fakeLog('jwks')).length;
  await control({ rotate: true });
  const rotated = await user('alice');
  assert.match(Buffer.from(rotated.split('.')[0], 'base64url').toString(), /fake-k3/);
  const c = await sdk(rotated);
  assert.equal(await whoami(c), 'alice@example.test');
  await c.close();
  const after = (await fakeLog('jwks')).length;
  assert.ok(after >= before + 1 && after <= before + 2, `one refetch (${before} → ${after})`);
});

test('an on-behalf-of failure (consent missing) is a clear tool error naming what the administrator must do', async () => {
  await control({ obo_fail: [{ aadsts: 65001, oid: 'oid-carol', count: 0 }] });
  const c = await sdk(await user('carol', 'Sql.Read'));
  const r = await c.callTool({ name: 'read_data', arguments: { query: 'SELECT 1 AS one' } });
  assert.ok(r.isError);
  assert.match(text(r), /65001/);
  assert.match(text(r), /admin consent/i);
  await c.close();
  await control({ clear_obo_fail: true });
});

test("a user's SQL token expiring mid-session: the next connection gets a fresh OBO token", async () => {
  await control({ obo_lifetime: 4 });
  const c = await sdk(await user('dave', 'Sql.Read'));
  assert.equal(await whoami(c), 'dave@example.test');
  const first = (await fakeLog('token')).filter((e) => e.grant === 'on_behalf_of' && e.assertion_claims?.oid === 'oid-dave' && e.outcome === 'ok').length;
  // Past the SQL token's expiry and the pool's idle timeout (3 s): the pool is closed, the next call
  // opens a new connection, which needs a new SQL token.
  await new Promise((r) => setTimeout(r, 6000));
  assert.equal(await whoami(c), 'dave@example.test');
  const second = (await fakeLog('token')).filter((e) => e.grant === 'on_behalf_of' && e.assertion_claims?.oid === 'oid-dave' && e.outcome === 'ok').length;
  assert.ok(second > first, `exchanged again (${first} → ${second})`);
  await c.close();
  await control({ obo_lifetime: 3600 });
});

test('a stateless 2026-07-28 client sends the token with every request', async () => {
  const token = await user('alice');
  const call = (auth) => fetch(srv.url, {
    method: 'POST',
    headers: { ...JSON_HEADERS, 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'read_data', ...(auth ? { Authorization: auth } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: {
      name: 'read_data', arguments: { query: 'SELECT SUSER_SNAME() AS who' },
      _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'modern', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
  });
  const denied = await call(null);
  assert.equal(denied.status, 401);
  assert.ok(denied.headers.get('www-authenticate').includes('resource_metadata='));
  const ok = await call(`Bearer ${token}`);
  assert.equal(ok.status, 200);
  const body = await ok.text();
  assert.match(body, /alice@example\.test/);
});

test("a read_data cursor is bound to its user: another user's stateless request cannot read on", async () => {
  const [alice, bob] = [await user('alice'), await user('bob', 'Sql.Read')];
  const call = (token, args) => fetch(srv.url, {
    method: 'POST',
    headers: { ...JSON_HEADERS, 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'read_data', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: {
      name: 'read_data', arguments: args,
      _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'modern', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
  }).then(async (r) => {
    const t = await r.text();
    const line = t.split('\n').find((l) => l.startsWith('data:'));
    return JSON.parse(line ? line.slice(5) : t).result;
  });
  const q = { query: 'SELECT Region_Id FROM Region ORDER BY Region_Id', limit: 1 };
  const first = await call(alice, q);
  const cursor = first.structuredContent.next_cursor;
  assert.ok(cursor, JSON.stringify(first));
  const stolen = await call(bob, { ...q, cursor });
  assert.equal(stolen.isError, true);
  assert.match(stolen.content[0].text, /belongs to another user/);
  const next = await call(alice, { ...q, cursor });
  assert.ok(!next.isError, JSON.stringify(next));
  assert.equal(next.structuredContent.offset, 1);
});

test("a task belongs to the user who created it: another user's tasks/get and tasks/cancel are refused", async () => {
  const [alice, bob] = [await user('alice'), await user('bob', 'Sql.Read')];
  const rpc = (token, method, params) => fetch(srv.url, {
    method: 'POST',
    headers: { ...JSON_HEADERS, 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': method,
      'Mcp-Name': method === 'tools/call' ? params.name : params.taskId, Authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params,
      _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'modern', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } } } } }),
  }).then(async (r) => {
    const t = await r.text();
    const line = t.split('\n').find((l) => l.startsWith('data:'));
    return JSON.parse(line ? line.slice(5) : t);
  });
  const created = (await rpc(alice, 'tools/call', { name: 'read_data', arguments: { query: 'SELECT SUSER_SNAME() AS who' } })).result;
  assert.equal(created.resultType, 'task', JSON.stringify(created));
  const taskId = created.taskId;
  assert.equal((await rpc(bob, 'tasks/get', { taskId })).error?.code, -32602);
  assert.equal((await rpc(bob, 'tasks/cancel', { taskId })).error?.code, -32602);
  let got;
  for (let i = 0; i < 200; i++) {
    got = (await rpc(alice, 'tasks/get', { taskId })).result;
    if (got.status !== 'working') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(got.status, 'completed', JSON.stringify(got));
  assert.deepEqual(got.result.structuredContent.rows, [['alice@example.test']], 'the task ran as alice (on-behalf-of)');
});

test('50 users × 4 concurrent calls: no cross-user leakage, bounded pools and memory', async () => {
  const t0 = Date.now();
  const rssBefore = rssKiB(srv.proc.pid);
  const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => mint({ oid: `oid-load${i}`, upn: `load${i}@example.test`, scp: 'Sql.Read' })));
  let wrong = 0;
  const results = await Promise.all(tokens.map(async (tok, i) => {
    const c = await sdk(tok, `load-${i}`);
    const whos = await Promise.all(Array.from({ length: 4 }, () => whoami(c)));
    await c.close();
    for (const w of whos) if (w !== `load${i}@example.test`) wrong++;
    return whos.length;
  }));
  assert.equal(results.reduce((a, b) => a + b, 0), 200);
  assert.equal(wrong, 0, 'every call saw its own user');
  const m = await (await fetch(`${srv.base}/metrics`, { headers: { Accept: 'text/plain;version=0.0.4' } })).text();
  const open = Number(/^azsql_user_pool_connections\{state="open"\} (\d+)/m.exec(m)?.[1]);
  assert.ok(open <= 2 * 54, `at most MCP_AUTH_USER_POOL_SIZE connections per user (${open})`);
  const rssAfter = rssKiB(srv.proc.pid);
  const perUser = (rssAfter - rssBefore) / 50;
  console.log(`# 50 users × 4 calls in ${Date.now() - t0} ms; RSS ${rssBefore} → ${rssAfter} KiB (${perUser.toFixed(0)} KiB per user with open pools); open connections ${open}`);
  assert.ok(rssAfter - rssBefore < 64 * 1024, `bounded memory: +${rssAfter - rssBefore} KiB for 50 users`);
  assert.ok(Date.now() - t0 < 120000);
});
