// `azsql-mcp doctor` through the real binary: every failure of the catalogue is produced by the Python
// TDS test server (tests/tds_server, independent of our client) or by the environment, and the doctor
// must name the failing check, its cause and its fix, exit 1, and never print a secret; exit 0 only
// when a tool call would work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { BIN, tempDir, rmSync, startTdsServer, startFakeAzure, sqlServerEnv } from './lib.mjs';
import { writeFileSync } from 'node:fs';

let dir, certDir;
before(() => { dir = tempDir('azsql-doctor-'); certDir = path.join(dir, 'cert'); });
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the doctor; resolves { code, out, report } (report parsed with --json). */
function doctor(env, args = ['--json']) {
  return new Promise((resolve) => {
    execFile(BIN, ['doctor', ...args], { env: { PATH: process.env.PATH, HOME: dir, ...env }, timeout: 60000 },
      (err, stdout, stderr) => {
        const code = err ? err.code : 0;
        let report = null;
        if (args.includes('--json')) report = JSON.parse(stdout);
        resolve({ code, out: stdout + stderr, report });
      });
  });
}
const check = (r, name) => r.report.checks.find((c) => c.name === name);

/** Runs `fn` with a TDS test server started with `args`. */
async function withServer(args, fn) {
  const srv = await startTdsServer(['--gen-cert', certDir, ...args]);
  try { return await fn(srv); } finally { srv.stop(); }
}

test('the embedded demo database: exit 0', async () => {
  const r = await doctor({});
  assert.equal(r.code, 0, r.out);
  assert.equal(r.report.ok, true);
  assert.equal(check(r, 'database').status, 'ok');
});

test('a working SQL Server: every step ok, exit 0, no password in the output', async () => {
  await withServer([], async (srv) => {
    const r = await doctor(sqlServerEnv(srv));
    assert.equal(r.code, 0, r.out);
    for (const n of ['settings', 'dns', 'tcp', 'tls', 'login', 'database', 'read', 'write', 'view_state'])
      assert.equal(check(r, n)?.status, 'ok', `${n}: ${JSON.stringify(r.report.checks)}`);
    assert.doesNotMatch(r.out, /Passw0rd!/);
    const human = await doctor(sqlServerEnv(srv), []);
    assert.equal(human.code, 0);
    assert.match(human.out, /\[ok\] +tcp/);
    assert.match(human.out, /Result: a tool call would work/);
  });
});

test('VIEW DATABASE STATE denied: a warning with the GRANT, still exit 0', async () => {
  await withServer(['--deny-view-database-state'], async (srv) => {
    const r = await doctor(sqlServerEnv(srv));
    assert.equal(r.code, 0, r.out);
    assert.equal(check(r, 'view_state').status, 'warn');
    assert.match(check(r, 'view_state').fix, /GRANT VIEW DATABASE STATE TO \[sa\]/);
  });
});

const failures = [
  { name: '40615 firewall: the client address and the rule to add', args: ['--login-error', '40615', '--client-address', '198.51.100.23'],
    step: 'firewall', cause: /198\.51\.100\.23/, fix: /firewall-rule create .*--start-ip-address 198\.51\.100\.23/ },
  { name: '40532 server name', args: ['--login-error', '40532'], step: 'server', cause: /server name does not match/, fix: /AZURE_SQL_SERVER/ },
  { name: '18452 integrated authentication', args: ['--login-error', '18452'], step: 'login', cause: /integrated/, fix: /AZURE_SQL_AUTH_TYPE/ },
  { name: 'Entra-only server refuses SQL logins (33155-style)', args: ['--login-error', '33155'], step: 'login', cause: /Entra-only/, fix: /managed_identity/ },
  { name: '40613 database unavailable (transient)', args: ['--login-error', '40613'], step: 'availability', cause: /temporarily unavailable/, fix: /retry/ },
  { name: '18456 wrong password (with its state)', args: [], env: { AZURE_SQL_PASSWORD: 'wrong' }, step: 'login', cause: /state 1\)/, fix: /AZURE_SQL_PASSWORD/ },
  { name: '4060 wrong database', args: [], env: { AZURE_SQL_DATABASE: 'nosuchdb' }, step: 'database', cause: /'nosuchdb'/, fix: /AZURE_SQL_DATABASE/ },
  { name: 'server closes the connection during PRELOGIN', args: ['--close-during-prelogin'], step: 'tls', cause: /during PRELOGIN/, fix: /port|strict/ },
  { name: 'TLS certificate name mismatch', args: [], env: { AZURE_SQL_HOSTNAME_IN_CERTIFICATE: 'other.example.com' }, step: 'tls', cause: /does not name/, fix: /AZURE_SQL_HOSTNAME_IN_CERTIFICATE/ },
];
for (const f of failures) {
  test(`doctor: ${f.name}`, async () => {
    await withServer(f.args, async (srv) => {
      const r = await doctor(sqlServerEnv(srv, f.env ?? {}));
      assert.equal(r.code, 1, r.out);
      assert.equal(r.report.ok, false);
      const c = r.report.checks.find((x) => x.status === 'fail');
      assert.equal(c.name, f.step, JSON.stringify(r.report.checks));
      assert.match(c.cause, f.cause);
      assert.match(c.fix, f.fix);
      assert.doesNotMatch(r.out, /Passw0rd!/);
    });
  });
}

test('login works but the identity has no user in the database: the CREATE USER statements', async () => {
  await withServer(['--accept-token', 'doctor-token-123', '--token-principal', 'mi-azsql-demo', '--no-user-in-database'], async (srv) => {
    const env = { AZURE_SQL_SERVER: `127.0.0.1,${srv.port}`, AZURE_SQL_DATABASE: 'demo', AZURE_SQL_CA_FILE: srv.cert,
      AZURE_SQL_AUTH_TYPE: 'access_token', AZURE_SQL_ACCESS_TOKEN: 'doctor-token-123' };
    const r = await doctor(env);
    assert.equal(r.code, 1, r.out);
    assert.equal(check(r, 'token').status, 'ok');
    assert.equal(check(r, 'login').status, 'ok');
    const d = check(r, 'database');
    assert.equal(d.status, 'fail');
    assert.match(d.cause, /login succeeded but mi-azsql-demo has no user in database 'demo'/);
    assert.match(d.statements, /^CREATE USER \[mi-azsql-demo\] FROM EXTERNAL PROVIDER;$/m);
    assert.match(d.statements, /^ALTER ROLE db_datareader ADD MEMBER \[mi-azsql-demo\];$/m);
    assert.doesNotMatch(r.out, /doctor-token-123/);
    const human = await doctor(env, []);
    assert.match(human.out, /\[FAIL\] database/);
    assert.match(human.out, /CREATE USER \[mi-azsql-demo\] FROM EXTERNAL PROVIDER;/);
  });
});

test('nothing listens on the port / the name does not resolve', async () => {
  const srv = await startTdsServer(['--gen-cert', certDir]);
  srv.stop();
  await new Promise((r) => srv.proc.on('exit', r));
  let r = await doctor(sqlServerEnv(srv));
  assert.equal(r.code, 1);
  assert.equal(check(r, 'tcp').status, 'fail');
  assert.match(check(r, 'tcp').detail, /Connection refused/);
  assert.match(check(r, 'tcp').fix, /AZURE_SQL_SERVER/);
  r = await doctor({ ...sqlServerEnv(srv), AZURE_SQL_SERVER: 'no-such-server.invalid' });
  assert.equal(r.code, 1);
  assert.equal(check(r, 'dns').status, 'fail');
  assert.match(check(r, 'dns').cause, /does not resolve/);
});

test('a token that cannot be acquired: managed identity endpoints over plain http to another host are refused', async () => {
  const base = { AZURE_SQL_SERVER: '127.0.0.1,9', AZURE_SQL_DATABASE: 'demo', AZURE_SQL_AUTH_TYPE: 'managed_identity' };
  let r = await doctor({ ...base, AZSQL_IMDS_ENDPOINT: 'http://192.0.2.10' });
  assert.equal(r.code, 1, r.out);
  assert.equal(check(r, 'token').status, 'fail');
  assert.match(check(r, 'token').detail, /AZSQL_IMDS_ENDPOINT must be an https URL \(plain http only for a loopback host or the IMDS address 169\.254\.169\.254\)/);
  assert.match(check(r, 'token').fix, /use an https endpoint/);
  r = await doctor({ ...base, IDENTITY_ENDPOINT: 'http://192.0.2.10/msi/token', IDENTITY_HEADER: 'secret-header-value' });
  assert.equal(check(r, 'token').status, 'fail');
  assert.match(check(r, 'token').detail, /IDENTITY_ENDPOINT must be an https URL/);
  assert.doesNotMatch(r.out, /secret-header-value/);
});

test('AADSTS errors of each Entra credential (fake Entra ID): cause and fix named, exit 1, no secret printed', async () => {
  const fake = await startFakeAzure(['--cert-dir', path.join(dir, 'entra-certs')]);
  try {
    const fedFile = path.join(dir, 'federated-token.txt');
    writeFileSync(fedFile, 'not-a-registered-federated-token');
    const base = { AZURE_SQL_SERVER: '127.0.0.1,9', AZURE_SQL_DATABASE: 'demo', AZURE_TENANT_ID: fake.tenant,
      AZURE_CLIENT_ID: fake.client_id, AZURE_AUTHORITY_HOST: fake.authority_host };
    const cases = [
      { name: 'client secret', env: { AZURE_SQL_AUTH_TYPE: 'service_principal', AZURE_CLIENT_SECRET: 'wrong-secret-value' },
        detail: /AADSTS7000215/, cause: /client secret is not valid/, fix: /AZURE_CLIENT_SECRET/ },
      { name: 'certificate', env: { AZURE_SQL_AUTH_TYPE: 'service_principal', AZURE_CLIENT_CERTIFICATE_PATH: fake.untrusted_cert },
        detail: /AADSTS700027/, cause: /certificate is not registered/, fix: /AZURE_CLIENT_CERTIFICATE_PATH/ },
      { name: 'workload identity', env: { AZURE_SQL_AUTH_TYPE: 'workload_identity', AZURE_FEDERATED_TOKEN_FILE: fedFile },
        detail: /AADSTS50012/, cause: /could not read the client assertion/, fix: /AZURE_FEDERATED_TOKEN_FILE/ },
      { name: 'unknown tenant', env: { AZURE_SQL_AUTH_TYPE: 'service_principal', AZURE_CLIENT_SECRET: 'fake-secret-value',
        AZURE_TENANT_ID: '00000000-0000-0000-0000-0000000000ee' }, detail: /AADSTS90002/, cause: /tenant does not exist/, fix: /AZURE_TENANT_ID/ },
    ];
    for (const c of cases) {
      const r = await doctor({ ...base, ...c.env });
      assert.equal(r.code, 1, `${c.name}: ${r.out}`);
      const t = check(r, 'token');
      assert.equal(t?.status, 'fail', `${c.name}: ${JSON.stringify(r.report.checks)}`);
      assert.match(t.detail, c.detail, c.name);
      assert.match(t.cause ?? '', c.cause, `${c.name}: ${JSON.stringify(t)}`);
      assert.match(t.fix ?? '', c.fix, `${c.name}: ${JSON.stringify(t)}`);
      assert.equal(check(r, 'login'), undefined, `${c.name}: no login attempted without a token`);
      assert.doesNotMatch(r.out, /wrong-secret-value|fake-secret-value|not-a-registered-federated-token/, c.name);
    }
  } finally {
    fake.stop();
  }
});

test('a connection string with Authentication=Active Directory Access Token works (token from AZURE_SQL_ACCESS_TOKEN)', async () => {
  await withServer(['--accept-token', 'cs-token-456', '--token-principal', 'app-with-token'], async (srv) => {
    const env = { AZURE_SQL_CONNECTION_STRING: `Server=127.0.0.1,${srv.port};Database=demo;Authentication=Active Directory Access Token;Encrypt=true`,
      AZURE_SQL_CA_FILE: srv.cert, AZURE_SQL_ACCESS_TOKEN: 'cs-token-456' };
    const r = await doctor(env);
    assert.equal(r.code, 0, r.out);
    assert.equal(check(r, 'token').status, 'ok');
    assert.match(check(r, 'login').detail, /Entra token accepted/);
    assert.match(check(r, 'read').detail, /^app-with-token can SELECT/);
    assert.doesNotMatch(r.out, /cs-token-456/);
  });
});
