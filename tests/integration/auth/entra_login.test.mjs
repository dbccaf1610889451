// Entra ID authentication end to end: the real azsql-mcp binary, driven over stdio by the official
// MCP SDK client, gets its token from the fake Azure endpoints (tests/fakes/fake_azure.py) or the
// Azure CLI stub (tests/fakes/az) and logs in with FEDAUTH to the independent Python TDS test
// server, which accepts exactly the token currently in the fake's --token-file (re-read per login).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { connectStdio, BIN } from '../../e2e/lib.mjs';
import { startHttp, connectSdk } from '../../e2e/http_lib.mjs';

const SRC = process.env.AZSQL_SOURCE_DIR || path.resolve(import.meta.dirname, '../../..');
const AZ_STUB = path.join(SRC, 'tests/fakes/az');
const PRINCIPAL = 'entra-app@fake.example';
const SQL_RESOURCE = 'https://database.windows.net/';
const UA_CLIENT_ID = '22222222-2222-2222-2222-2222222222cc';  // a user-assigned identity known to the fake
const FEDERATED_TOKEN = 'fed-' + randomBytes(24).toString('hex');  // what AKS would project into the pod

const dir = mkdtempSync(path.join(tmpdir(), 'azsql-auth-e2e-'));
const TOKEN_FILE = path.join(dir, 'token.txt');
const FED_FILE = path.join(dir, 'federated-token');
writeFileSync(FED_FILE, FEDERATED_TOKEN);

let fake;  // fake Azure endpoints
let tds;   // TDS test server
/** Every access token the binary may have seen (read from the token file / handed to the stub). */
const issuedTokens = new Set();
/** Everything the binary said: stderr, audit logs, tool outputs, HTTP answers — searched for secrets at the end. */
const captured = [];

// ------------------------------------------------------------------------------------------------
// helpers

/** Starts a Python helper that prints one JSON line on stdout, then serves until stdin closes / SIGTERM. */
function startPython(script, args) {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', [path.join(SRC, script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    const timer = setTimeout(() => { p.kill('SIGTERM'); reject(new Error(`${script} did not start`)); }, 60000);
    p.stdout.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0 && timer) {
        clearTimeout(timer);
        resolve({ proc: p, ...JSON.parse(buf.slice(0, i)) });
      }
    });
    p.on('error', reject);
  });
}

function stopPython(s) {
  if (!s || s.proc.exitCode !== null) return;
  s.proc.kill('SIGTERM');  // by PID
  s.proc.stdin.end();
}

async function control(body) {
  const r = await fetch(`http://127.0.0.1:${fake.port}/_control`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(r.status, 200);
}

async function fakeLog() {
  const r = await fetch(`http://127.0.0.1:${fake.port}/_log`);
  return (await r.json()).requests;
}

/** Resets the fake between tests: empty log, no injected failures, identity present, 1 h tokens. */
async function resetFake() {
  await control({ clear_log: true, clear_failures: true, no_identity: false, lifetime: 3600 });
}

/** Records the token the test server currently accepts (the latest one issued). */
function noteToken() {
  if (existsSync(TOKEN_FILE)) {
    const t = readFileSync(TOKEN_FILE, 'utf8').trim();
    if (t) issuedTokens.add(t);
    return t;
  }
  return '';
}

function jwtClaims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

/** A JWT-shaped token with an exp claim and a random signature part (for the az stub / a ready token). */
function makeToken(extra = {}) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return [b64({ alg: 'RS256', typ: 'JWT' }),
    b64({ aud: SQL_RESOURCE, exp: Math.floor(Date.now() / 1000) + 3600, ...extra }),
    randomBytes(32).toString('base64url')].join('.');
}

const { Connection } = createRequire(path.join(SRC, 'package.json'))('tedious');

/** Logs in to the test server with `token` using tedious (an independent client); resolves
 *  'ok' or the login error number. Shows which token the server accepts at this moment. */
function tediousLogin(token) {
  return new Promise((resolve, reject) => {
    const c = new Connection({
      server: '127.0.0.1',
      authentication: { type: 'azure-active-directory-access-token', options: { token } },
      options: { port: tds.port, database: 'demo', encrypt: true, trustServerCertificate: true, connectTimeout: 15000 },
    });
    const t = setTimeout(() => reject(new Error('tedious: connect timeout')), 20000);
    c.on('connect', (err) => {
      clearTimeout(t);
      if (!err) { c.on('end', () => resolve('ok')); c.close(); return; }
      resolve(err.errors?.[0]?.number ?? err.number ?? (/18456|Login failed/.test(err.message) ? 18456 : err.message));
    });
    c.on('error', () => {});
    c.connect();
  });
}

const text = (r) => (r.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The SQL Server settings every run shares (TLS verified against the test server's certificate). */
function sqlEnv(extra = {}) {
  const env = {
    AZURE_SQL_SERVER: `127.0.0.1,${tds.port}`,
    AZURE_SQL_DATABASE: 'demo',
    AZURE_SQL_CA_FILE: tds.cert,
    LOG_LEVEL: 'debug',
    ...extra,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];  // undefined = unset
  return env;
}

let runNo = 0;
/**
 * Runs the binary over stdio with `env` (plus sqlEnv, debug logging and an audit log), hands the
 * SDK client to `fn`, then records stderr, the audit log and every tool output in `captured`.
 */
async function withBinary(env, fn) {
  const audit = path.join(dir, `audit-${++runNo}.jsonl`);
  const c = await connectStdio(sqlEnv({ MCP_AUDIT_LOG: audit, ...env }));
  noteToken();
  const outputs = [];
  const call = async (name, args = {}) => {
    const r = await c.client.callTool({ name, arguments: args });
    outputs.push(JSON.stringify(r));
    noteToken();
    return r;
  };
  try {
    await fn(call, c);
  } finally {
    await c.client.close();
    captured.push({ what: `stderr of run ${runNo}`, text: c.stderr });
    captured.push({ what: `tool outputs of run ${runNo}`, text: outputs.join('\n') });
    if (existsSync(audit)) captured.push({ what: `audit log of run ${runNo}`, text: readFileSync(audit, 'utf8') });
  }
  return c;
}

/** The checks every successful auth type must pass: catalog, a query, the token principal, FEDAUTH. */
async function assertWorks(call) {
  let r = await call('list_tables');
  assert.equal(r.isError, false, text(r));
  const names = r.structuredContent.tables.map((t) => t.name);
  for (const n of ['Article', 'Region']) assert.ok(names.includes(n), n);

  r = await call('read_data', { query: 'SELECT TOP 3 Region_Id, Region_Libelle FROM Region ORDER BY Region_Id' });
  assert.equal(r.isError, false, text(r));
  assert.equal(r.structuredContent.row_count, 3);

  // The session was authenticated by an Entra token (not a SQL login).
  r = await call('read_data', { query: "SELECT CONNECTIONPROPERTY('auth_scheme') AS scheme, SUSER_SNAME() AS login" });
  assert.equal(r.isError, false, text(r));
  assert.deepEqual(r.structuredContent.rows[0], ['FEDAUTH', PRINCIPAL]);

  r = await call('database_info');
  assert.equal(r.isError, false, text(r));
  assert.match(r.structuredContent.current_user, new RegExp(PRINCIPAL.replace(/[.]/g, '\\.')));

  r = await call('health_check');
  assert.equal(r.structuredContent.status, 'healthy', text(r));
}

/** assertWorks, plus every resource read (their text joins the material searched for secrets). */
async function assertWorksWithResources(call, c) {
  await assertWorks(call);
  const uris = (await c.client.listResources()).resources.map((x) => x.uri);
  assert.ok(uris.includes('database://status'));
  for (const uri of uris) {
    const r = await c.client.readResource({ uri });
    captured.push({ what: `resource ${uri}`, text: JSON.stringify(r) });
  }
}

/** Spawns the binary expecting it to refuse to start; resolves with { code, stderr }. */
function runToExit(env, ms = 90000) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, ['--transport', 'stdio'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', ...sqlEnv(env) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    p.stderr.on('data', (d) => { stderr += d.toString(); });
    p.stdout.on('data', (d) => { stdout += d.toString(); });
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error('the binary did not exit; stderr: ' + stderr)); }, ms);
    p.on('exit', (code) => {
      clearTimeout(timer);
      captured.push({ what: 'stderr of a failed start', text: stderr + stdout });
      resolve({ code, stderr });
    });
  });
}

const okIssues = (log) => log.filter((e) => e.outcome === 'ok' && e.token_n);

// ------------------------------------------------------------------------------------------------
before(async () => {
  fake = await startPython('tests/fakes/fake_azure.py', ['--token-file', TOKEN_FILE, '--cert-dir', path.join(dir, 'certs'),
    '--user-assigned', UA_CLIENT_ID, '--federated-token', FEDERATED_TOKEN]);
  tds = await startPython('tests/tds_server/tds_server.py', ['--port', '0', '--token-file', TOKEN_FILE,
    '--token-principal', PRINCIPAL]);
});

after(() => {
  // AUTH_E2E_DUMP=<file>: keep what the binary said, for reading by hand.
  if (process.env.AUTH_E2E_DUMP) writeFileSync(process.env.AUTH_E2E_DUMP, JSON.stringify(captured, null, 1));
  stopPython(tds);
  stopPython(fake);
  rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------------
// 1. every auth type

test('managed_identity via IMDS, system-assigned', async () => {
  await resetFake();
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'managed_identity', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint }, assertWorks);
  const log = await fakeLog();
  assert.ok(log.length >= 1);
  for (const e of log) {
    assert.equal(e.endpoint, 'imds');
    assert.equal(e.method, 'GET');
    assert.equal(e.metadata_header, 'true');
    assert.equal(e.query['api-version'], '2018-02-01');
    assert.equal(e.query.resource, SQL_RESOURCE);
    assert.deepEqual(e.selector, {});  // system-assigned: no client_id / object_id / msi_res_id
    assert.equal(e.outcome, 'ok');
  }
  // One cached token serves the pool: the 4 tool calls did not each fetch one.
  assert.equal(okIssues(log).length, 1);
});

test('managed_identity via IMDS, user-assigned (AZURE_MANAGED_IDENTITY_CLIENT_ID)', async () => {
  await resetFake();
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'managed_identity', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint,
    AZURE_MANAGED_IDENTITY_CLIENT_ID: UA_CLIENT_ID }, assertWorks);
  const log = await fakeLog();
  assert.ok(log.length >= 1);
  for (const e of log) {
    assert.equal(e.endpoint, 'imds');
    assert.equal(e.metadata_header, 'true');
    assert.equal(e.query['api-version'], '2018-02-01');
    assert.deepEqual(e.selector, { client_id: UA_CLIENT_ID });
    assert.equal(e.outcome, 'ok');
  }
});

test('managed_identity via the App Service endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER), system- and user-assigned', async () => {
  await resetFake();
  // AZSQL_IMDS_ENDPOINT is set too: IDENTITY_ENDPOINT must win.
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'managed_identity', IDENTITY_ENDPOINT: fake.identity_endpoint,
    IDENTITY_HEADER: fake.identity_header, AZSQL_IMDS_ENDPOINT: fake.imds_endpoint }, assertWorks);
  const log = await fakeLog();
  assert.ok(log.length >= 1);
  for (const e of log) {
    assert.equal(e.endpoint, 'appservice');
    assert.equal(e.identity_header_ok, true);
    assert.equal(e.query['api-version'], '2019-08-01');
    assert.equal(e.query.resource, SQL_RESOURCE);
    assert.deepEqual(e.selector, {});
    assert.equal(e.outcome, 'ok');
  }

  // User-assigned through the same endpoint: client_id selector.
  await resetFake();
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'managed_identity', IDENTITY_ENDPOINT: fake.identity_endpoint,
    IDENTITY_HEADER: fake.identity_header, AZURE_MANAGED_IDENTITY_CLIENT_ID: UA_CLIENT_ID }, assertWorks);
  const ua = await fakeLog();
  assert.ok(ua.length >= 1);
  for (const e of ua) assert.deepEqual([e.endpoint, e.selector, e.outcome], ['appservice', { client_id: UA_CLIENT_ID }, 'ok']);
});

function assertEntraRequests(log, auth) {
  assert.ok(log.length >= 1);
  for (const e of log) {
    assert.equal(e.endpoint, 'token');
    assert.equal(e.method, 'POST');
    assert.equal(e.tenant, fake.tenant);
    assert.equal(e.content_type, 'application/x-www-form-urlencoded');
    assert.equal(e.form.grant_type, 'client_credentials');
    assert.equal(e.form.client_id, fake.client_id);
    assert.equal(e.form.scope, SQL_RESOURCE + '.default');
    assert.equal(e.auth, auth);
    assert.equal(e.outcome, 'ok');
  }
}

test('service_principal with a client secret', async () => {
  await resetFake();
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'service_principal', AZURE_TENANT_ID: fake.tenant,
    AZURE_CLIENT_ID: fake.client_id, AZURE_CLIENT_SECRET: 'fake-secret-value', AZURE_AUTHORITY_HOST: fake.authority_host },
  assertWorksWithResources);
  const log = await fakeLog();
  assertEntraRequests(log, 'secret');
  for (const e of log) {
    assert.equal(e.form.client_secret, '<redacted>');
    assert.equal(e.form.client_assertion, undefined);
  }
});

test('service_principal with a certificate (AZURE_CLIENT_CERTIFICATE_PATH)', async () => {
  await resetFake();
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'service_principal', AZURE_TENANT_ID: fake.tenant,
    AZURE_CLIENT_ID: fake.client_id, AZURE_CLIENT_CERTIFICATE_PATH: fake.cert, AZURE_AUTHORITY_HOST: fake.authority_host },
  assertWorks);
  const log = await fakeLog();
  assertEntraRequests(log, 'certificate');
  for (const e of log) {
    assert.equal(e.form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    assert.equal(e.form.client_secret, undefined);
    assert.equal(e.signature_verified, true);
    assert.equal(e.jwt_header.alg, 'RS256');
    assert.ok(e.jwt_header.x5t);
    assert.equal(e.jwt_claims.aud, `${fake.authority_host}/${fake.tenant}/oauth2/v2.0/token`);
    assert.equal(e.jwt_claims.iss, fake.client_id);
    assert.equal(e.jwt_claims.sub, fake.client_id);
  }
});

test('workload_identity (AZURE_FEDERATED_TOKEN_FILE)', async () => {
  await resetFake();
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'workload_identity', AZURE_TENANT_ID: fake.tenant,
    AZURE_CLIENT_ID: fake.client_id, AZURE_FEDERATED_TOKEN_FILE: FED_FILE, AZURE_AUTHORITY_HOST: fake.authority_host },
  assertWorks);
  const log = await fakeLog();
  assertEntraRequests(log, 'federated');
  for (const e of log) {
    assert.equal(e.form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    assert.equal(e.federated_index, 0);
  }
});

test('azure_cli (az stub)', async () => {
  await resetFake();
  const token = makeToken({ src: 'az' });
  writeFileSync(TOKEN_FILE, token);  // the token the test server accepts is the one az hands out
  issuedTokens.add(token);
  const azLog = path.join(dir, 'az-ok.log');
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'azure_cli', AZSQL_AZ_PATH: AZ_STUB, AZ_STUB_TOKEN: token, AZ_STUB_LOG: azLog },
    assertWorks);
  const calls = readFileSync(azLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(calls.length, 1);  // cached for the pool
  assert.deepEqual(calls[0].argv, ['account', 'get-access-token', '--output', 'json', '--resource', SQL_RESOURCE]);
  assert.equal(calls[0].cwd, '/');
  assert.deepEqual(await fakeLog(), []);  // nothing went to the token endpoints
});

test('access_token (AZURE_SQL_ACCESS_TOKEN)', async () => {
  await resetFake();
  // A token the test server accepts: fetched from the fake IMDS by the test itself.
  const r = await fetch(`${fake.imds_endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(SQL_RESOURCE)}`,
    { headers: { Metadata: 'true' } });
  const token = (await r.json()).access_token;
  assert.equal(noteToken(), token);
  await control({ clear_log: true });
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'access_token', AZURE_SQL_ACCESS_TOKEN: token }, assertWorksWithResources);
  assert.deepEqual(await fakeLog(), []);
  assert.equal(readFileSync(TOKEN_FILE, 'utf8').trim(), token);
});

test('default_credential picks managed identity when it is the available source', async () => {
  await resetFake();
  const azLog = path.join(dir, 'az-default.log');
  // No service principal / workload identity variables; az is installed but would not be reached.
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'default_credential', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint,
    AZSQL_AZ_PATH: AZ_STUB, AZ_STUB_LOG: azLog }, assertWorks);
  const log = await fakeLog();
  assert.ok(okIssues(log).length >= 1);
  for (const e of log) assert.equal(e.endpoint, 'imds');
  assert.equal(existsSync(azLog), false, 'the chain stopped at managed identity');
});

test('default_credential (no AZURE_SQL_AUTH_TYPE) picks the environment service principal first', async () => {
  await resetFake();
  await withBinary({ AZURE_TENANT_ID: fake.tenant, AZURE_CLIENT_ID: fake.client_id,
    AZURE_CLIENT_SECRET: 'fake-secret-value', AZURE_AUTHORITY_HOST: fake.authority_host,
    AZSQL_IMDS_ENDPOINT: fake.imds_endpoint }, assertWorks);
  const log = await fakeLog();
  assertEntraRequests(log, 'secret');  // no IMDS request: EnvironmentCredential came first
});

test('default_credential falls through to the Azure CLI when no identity is available', async () => {
  await resetFake();
  await control({ no_identity: true });
  const token = makeToken({ src: 'az-default' });
  writeFileSync(TOKEN_FILE, token);
  issuedTokens.add(token);
  const azLog = path.join(dir, 'az-chain.log');
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'default_credential', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint,
    AZSQL_AZ_PATH: AZ_STUB, AZ_STUB_TOKEN: token, AZ_STUB_LOG: azLog }, assertWorks);
  const log = await fakeLog();
  assert.ok(log.length >= 1 && log.every((e) => e.endpoint === 'imds' && e.outcome === 'Identity not found'));
  assert.equal(readFileSync(azLog, 'utf8').trim().split('\n').length, 1);
});

test('AZURE_SQL_CONNECTION_STRING with Authentication=Active Directory Managed Identity;User Id=<client id>', async () => {
  await resetFake();
  const cs = `Server=tcp:127.0.0.1,${tds.port};Database=demo;Authentication=Active Directory Managed Identity;` +
    `User Id=${UA_CLIENT_ID};Encrypt=True;TrustServerCertificate=False`;
  await withBinary({ AZURE_SQL_SERVER: undefined, AZURE_SQL_CONNECTION_STRING: cs, AZSQL_IMDS_ENDPOINT: fake.imds_endpoint },
    assertWorks);
  const log = await fakeLog();
  assert.ok(log.length >= 1);
  for (const e of log) {
    assert.equal(e.endpoint, 'imds');
    assert.deepEqual(e.selector, { client_id: UA_CLIENT_ID });
    assert.equal(e.outcome, 'ok');
  }
});

test('service_principal with an encrypted PEM key and with a PKCS#12 file (AZURE_CLIENT_CERTIFICATE_PASSWORD)', async () => {
  for (const certPath of [fake.encrypted_cert, fake.pfx_cert]) {
    await resetFake();
    await withBinary({ AZURE_SQL_AUTH_TYPE: 'service_principal', AZURE_TENANT_ID: fake.tenant,
      AZURE_CLIENT_ID: fake.client_id, AZURE_CLIENT_CERTIFICATE_PATH: certPath,
      AZURE_CLIENT_CERTIFICATE_PASSWORD: fake.cert_password, AZURE_AUTHORITY_HOST: fake.authority_host }, assertWorks);
    const log = await fakeLog();
    assertEntraRequests(log, 'certificate');
    for (const e of log) assert.equal(e.signature_verified, true);
  }
});

test('connection string: Active Directory Service Principal with User Id=<app id>;Password=<secret>', async () => {
  await resetFake();
  const cs = `Server=127.0.0.1,${tds.port};Initial Catalog=demo;Authentication=Active Directory Service Principal;` +
    `User Id=${fake.client_id};Password=fake-secret-value;Encrypt=yes`;
  await withBinary({ AZURE_SQL_SERVER: undefined, AZURE_SQL_CONNECTION_STRING: cs, AZURE_TENANT_ID: fake.tenant,
    AZURE_AUTHORITY_HOST: fake.authority_host }, assertWorks);
  assertEntraRequests(await fakeLog(), 'secret');
});

test('connection string: Active Directory Workload Identity and Active Directory Default', async () => {
  await resetFake();
  const base = `Server=127.0.0.1,${tds.port};Database=demo;Encrypt=True`;
  await withBinary({ AZURE_SQL_SERVER: undefined,
    AZURE_SQL_CONNECTION_STRING: `${base};Authentication=Active Directory Workload Identity`,
    AZURE_TENANT_ID: fake.tenant, AZURE_CLIENT_ID: fake.client_id, AZURE_FEDERATED_TOKEN_FILE: FED_FILE,
    AZURE_AUTHORITY_HOST: fake.authority_host }, assertWorks);
  assertEntraRequests(await fakeLog(), 'federated');

  await resetFake();
  await withBinary({ AZURE_SQL_SERVER: undefined, AZURE_SQL_CONNECTION_STRING: `${base};Authentication=Active Directory Default`,
    AZSQL_IMDS_ENDPOINT: fake.imds_endpoint, AZURE_MANAGED_IDENTITY_CLIENT_ID: UA_CLIENT_ID }, assertWorks);
  const log = await fakeLog();
  assert.ok(okIssues(log).length >= 1);
  for (const e of log) assert.deepEqual([e.endpoint, e.selector], ['imds', { client_id: UA_CLIENT_ID }]);
});

test('one cached token serves concurrent connections of the pool', async (t) => {
  await resetFake();
  let created = 0;
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'managed_identity', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint,
    CONNECTION_POOL_SIZE: '4' }, async (call) => {
    // Concurrent reads make the pool open more connections (each one a FEDAUTH login).
    const reads = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
      call('read_data', { query: `SELECT TOP ${5000 + i} id, label, amount FROM big_table`, limit: 10000 })));
    for (const r of reads) assert.equal(r.isError, false, text(r));
    const info = await call('database_info');
    created = info.structuredContent.pool.created;
    assert.ok(created >= 1);
  });
  t.diagnostic(`connections created: ${created}`);
  assert.equal(okIssues(await fakeLog()).length, 1);
});

// ------------------------------------------------------------------------------------------------
// 2. failures: clear errors, retries, recovery

test('IMDS answering 500 twice, then OK: the login succeeds after retrying', async () => {
  await resetFake();
  await control({ fail: [{ endpoint: 'imds', mode: '500', count: 2 }] });
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'managed_identity', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint }, assertWorks);
  const log = await fakeLog();
  assert.deepEqual(log.slice(0, 3).map((e) => e.injected || e.outcome), ['500', '500', 'ok']);
});

test('Entra token endpoint answering 429 (Retry-After) then 503, then OK: succeeds after retrying', async () => {
  await resetFake();
  await control({ fail: [{ endpoint: 'token', mode: '429', count: 1, retry_after: 1 },
    { endpoint: 'token', mode: '503', count: 1 }] });
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'service_principal', AZURE_TENANT_ID: fake.tenant,
    AZURE_CLIENT_ID: fake.client_id, AZURE_CLIENT_SECRET: 'fake-secret-value', AZURE_AUTHORITY_HOST: fake.authority_host },
  assertWorks);
  const log = await fakeLog();
  assert.deepEqual(log.slice(0, 3).map((e) => e.injected || e.outcome), ['429', '503', 'ok']);
});

test('no managed identity: start-up fails naming managed identity; works once the identity exists', async () => {
  await resetFake();
  await control({ no_identity: true });
  const env = { AZURE_SQL_AUTH_TYPE: 'managed_identity', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint };
  const r = await runToExit(env);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot open the database/);
  assert.match(r.stderr, /managed identity|ManagedIdentityCredential/i);
  assert.match(r.stderr, /Identity not found/);
  const log = await fakeLog();
  assert.ok(log.length >= 1 && log.every((e) => e.outcome === 'Identity not found'));

  // An unknown user-assigned identity is just as clear.
  const r2 = await runToExit({ ...env, AZURE_MANAGED_IDENTITY_CLIENT_ID: '99999999-9999-9999-9999-999999999999' });
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /managed identity|ManagedIdentityCredential/i);

  await control({ no_identity: false });
  await withBinary(env, assertWorks);
});

test('azure_cli not logged in: start-up error says to run az login', async () => {
  await resetFake();
  const r = await runToExit({ AZURE_SQL_AUTH_TYPE: 'azure_cli', AZSQL_AZ_PATH: AZ_STUB, AZ_STUB_MODE: 'not_logged_in' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /az login/);
});

test('default_credential with no source: the error lists every step of the chain', async () => {
  await resetFake();
  await control({ no_identity: true });
  const r = await runToExit({ AZURE_SQL_AUTH_TYPE: 'default_credential', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint,
    AZSQL_AZ_PATH: AZ_STUB, AZ_STUB_MODE: 'not_logged_in' });
  assert.notEqual(r.code, 0);
  for (const step of ['EnvironmentCredential', 'WorkloadIdentityCredential', 'ManagedIdentityCredential', 'AzureCliCredential'])
    assert.match(r.stderr, new RegExp(step), step);
  assert.match(r.stderr, /AZURE_CLIENT_SECRET/);
  assert.match(r.stderr, /AZURE_FEDERATED_TOKEN_FILE/);
  assert.match(r.stderr, /Identity not found/);
  assert.match(r.stderr, /az login/);
});

test('refused credentials give clear start-up errors (AADSTS codes) without the secret', async () => {
  await resetFake();
  const sp = { AZURE_SQL_AUTH_TYPE: 'service_principal', AZURE_TENANT_ID: fake.tenant, AZURE_CLIENT_ID: fake.client_id,
    AZURE_AUTHORITY_HOST: fake.authority_host };
  let r = await runToExit({ ...sp, AZURE_CLIENT_SECRET: 'wrong-secret-value-123' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /ClientSecretCredential/);
  assert.match(r.stderr, /AADSTS7000215/);
  assert.doesNotMatch(r.stderr, /wrong-secret-value-123/);

  r = await runToExit({ ...sp, AZURE_CLIENT_CERTIFICATE_PATH: fake.untrusted_cert });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /ClientCertificateCredential/);
  assert.match(r.stderr, /AADSTS700027/);

  r = await runToExit({ AZURE_SQL_AUTH_TYPE: 'service_principal', AZURE_CLIENT_ID: fake.client_id,
    AZURE_CLIENT_SECRET: 'fake-secret-value', AZURE_AUTHORITY_HOST: fake.authority_host });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /AZURE_TENANT_ID/);

  r = await runToExit({ AZURE_SQL_AUTH_TYPE: 'managed_identity', IDENTITY_ENDPOINT: fake.identity_endpoint,
    IDENTITY_HEADER: 'not-the-header' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /ManagedIdentityCredential/);
  assert.match(r.stderr, /401|X-IDENTITY-HEADER/);
  assert.doesNotMatch(r.stderr, /not-the-header/);

  // A configured but refused environment credential stops the default chain (no fall-through to IMDS).
  await control({ clear_log: true });
  r = await runToExit({ AZURE_SQL_AUTH_TYPE: 'default_credential', ...sp, AZURE_SQL_AUTH_TYPE: 'default_credential',
    AZURE_CLIENT_SECRET: 'wrong-secret-value-123', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /DefaultAzureCredential/);
  assert.match(r.stderr, /AADSTS7000215/);
  assert.ok((await fakeLog()).every((e) => e.endpoint === 'token'));

  // An expired ready token is refused before any login.
  const expired = makeToken({ exp: Math.floor(Date.now() / 1000) - 120 });
  issuedTokens.add(expired);
  r = await runToExit({ AZURE_SQL_AUTH_TYPE: 'access_token', AZURE_SQL_ACCESS_TOKEN: expired });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /expired/i);
});

test('a hanging IMDS fails the start-up with a timeout error (AZURE_SQL_CONNECTION_TIMEOUT per request)', async (t) => {
  // Its own fake: the hanging requests finish (and issue tokens) after the binary gave up, which
  // must not rotate the token the shared test server accepts.
  const own = await startPython('tests/fakes/fake_azure.py', ['--token-file', path.join(dir, 'slow-token.txt'),
    '--cert-dir', path.join(dir, 'certs'), '--fail', 'imds:slow:0:3']);
  try {
    const t0 = Date.now();
    const r = await runToExit({ AZURE_SQL_AUTH_TYPE: 'managed_identity', AZSQL_IMDS_ENDPOINT: own.imds_endpoint,
      AZURE_SQL_CONNECTION_TIMEOUT: '1' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ManagedIdentityCredential/);
    assert.match(r.stderr, /timed out/);
    t.diagnostic(`start-up failed after ${Date.now() - t0} ms`);
  } finally {
    stopPython(own);
  }
});

// ------------------------------------------------------------------------------------------------
// 3. tokens expiring or refused during a run

/** Waits (bounded) until the token's exp claim has passed, so the next login needs a new one. */
async function waitExpired(token) {
  const exp = jwtClaims(token).exp;
  for (let i = 0; i < 100 && Date.now() / 1000 <= exp + 0.5; i++) await sleep(100);
  assert.ok(Date.now() / 1000 > exp, 'token expired');
}

test('short-lived tokens: after expiry a new connection gets a new token (CONNECTION_POOL_SIZE=0)', async () => {
  await resetFake();
  await control({ lifetime: 3 });
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'managed_identity', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint,
    CONNECTION_POOL_SIZE: '0' }, async (call) => {
    const first = noteToken();
    assert.ok(first);
    let r = await call('list_tables');
    assert.equal(r.isError, false, text(r));

    await waitExpired(first);
    r = await call('read_data', { query: 'SELECT TOP 1 Region_Libelle FROM Region' });
    assert.equal(r.isError, false, text(r));
    const second = noteToken();
    assert.notEqual(second, first);
    // The test server now refuses the first token (checked with tedious): the binary logged in with the new one.
    assert.equal(await tediousLogin(first), 18456);
    assert.equal(await tediousLogin(second), 'ok');

    await waitExpired(second);
    r = await call('database_info');
    assert.equal(r.isError, false, text(r));
    assert.notEqual(noteToken(), second);
  });
  const issued = okIssues(await fakeLog());
  assert.ok(issued.length >= 3, `tokens issued: ${issued.length}`);
});

test('token refresh fails mid-run: the call reports it clearly, and the next call recovers after retries', async () => {
  await resetFake();
  await control({ lifetime: 3 });
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'managed_identity', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint,
    CONNECTION_POOL_SIZE: '0' }, async (call) => {
    const first = noteToken();
    await waitExpired(first);

    // The identity disappears: the call fails with a clear tool error, no crash.
    await control({ no_identity: true });
    let r = await call('list_tables');
    assert.equal(r.isError, true);
    assert.match(text(r), /Identity not found|managed identity/i);

    // Back, but IMDS is flaky: 503 then 429 before answering; the call succeeds.
    await control({ no_identity: false, fail: [{ endpoint: 'imds', mode: '503', count: 1 },
      { endpoint: 'imds', mode: '429', count: 1, retry_after: 1 }] });
    r = await call('list_tables');
    assert.equal(r.isError, false, text(r));
    assert.notEqual(noteToken(), first);
  });
  const seq = (await fakeLog()).map((e) => e.injected || e.outcome);
  const i = seq.indexOf('503');
  assert.ok(i > 0, seq.join(','));
  assert.deepEqual(seq.slice(i, i + 3), ['503', '429', 'ok']);
});

test('a token the server refuses (rotated elsewhere) is refreshed once and the login retried', async () => {
  await resetFake();
  await withBinary({ AZURE_SQL_AUTH_TYPE: 'managed_identity', AZSQL_IMDS_ENDPOINT: fake.imds_endpoint,
    CONNECTION_POOL_SIZE: '0' }, async (call) => {
    const first = noteToken();
    // Another client takes a new token: the test server now refuses the binary's cached (unexpired) one.
    await fetch(`${fake.imds_endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(SQL_RESOURCE)}`,
      { headers: { Metadata: 'true' } });
    const other = noteToken();
    assert.notEqual(other, first);
    assert.equal(await tediousLogin(first), 18456);  // the binary's cached token is refused from now on
    await sleep(1200);  // past the cache's minimum age for a forced refresh
    const r = await call('list_tables');
    assert.equal(r.isError, false, text(r));
    const third = noteToken();
    assert.notEqual(third, other);
  });
  assert.equal(okIssues(await fakeLog()).length, 3);  // binary, other client, binary's forced refresh
});

// ------------------------------------------------------------------------------------------------
// 4. no secret leaks (runs last: searches everything captured above)

test('HTTP mode: /health and /metrics with a service principal', async () => {
  await resetFake();
  const audit = path.join(dir, 'audit-http.jsonl');
  const s = await startHttp(sqlEnv({ AZURE_SQL_AUTH_TYPE: 'service_principal', AZURE_TENANT_ID: fake.tenant,
    AZURE_CLIENT_ID: fake.client_id, AZURE_CLIENT_SECRET: 'fake-secret-value', AZURE_AUTHORITY_HOST: fake.authority_host,
    MCP_AUDIT_LOG: audit }));
  try {
    noteToken();
    const { client } = await connectSdk(s.url);
    const r = await client.callTool({ name: 'read_data', arguments: { query: "SELECT CONNECTIONPROPERTY('auth_scheme') AS s" } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.rows[0][0], 'FEDAUTH');
    captured.push({ what: 'HTTP tool output', text: JSON.stringify(r) });
    await client.close();
    for (const p of ['/health', '/metrics']) {
      const res = await fetch(s.base + p, p === '/metrics' ? { headers: { Accept: 'text/plain;version=0.0.4' } } : {});
      const body = await res.text();
      assert.equal(res.status, 200, `${p}: ${body}`);
      assert.match(body, p === '/health' ? /"status":"connected"/ : /azsql_/);
      captured.push({ what: `GET ${p}`, text: JSON.stringify([...res.headers]) + '\n' + body });
    }
  } finally {
    await s.stop();
    captured.push({ what: 'HTTP stderr', text: s.stderr + s.stdout });
    if (existsSync(audit)) captured.push({ what: 'HTTP audit log', text: readFileSync(audit, 'utf8') });
  }
});

test('no token or secret appears in stderr (debug), audit logs, tool outputs, /health or /metrics', () => {
  noteToken();
  assert.ok(issuedTokens.size >= 10, `tokens collected: ${issuedTokens.size}`);
  const secrets = [];
  for (const t of issuedTokens) {
    secrets.push({ name: 'an access token', value: t });
    secrets.push({ name: 'an access token signature', value: t.split('.')[2] });
  }
  secrets.push({ name: 'the client secret', value: 'fake-secret-value' });
  secrets.push({ name: 'the federated token', value: FEDERATED_TOKEN });
  secrets.push({ name: 'the identity header', value: fake.identity_header });
  secrets.push({ name: 'the certificate password', value: fake.cert_password });
  // The search works: the material is non-trivial and does mention the settings' names.
  const all = captured.map((c) => c.text).join('\n');
  assert.ok(captured.length >= 40, `captured items: ${captured.length}`);
  assert.match(all, /FEDAUTH/);
  assert.match(all, /Entra token acquired/);  // debug/info logs were on
  for (const c of captured) {
    for (const s of secrets) {
      assert.ok(!c.text.includes(s.value), `${s.name} appears in ${c.what}`);
    }
  }
});
