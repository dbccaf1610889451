// The release archive (make dist) on a minimal Debian 12: unpacked into a fresh
// `debootstrap --variant=minbase bookworm` root filesystem — no development packages, no libcurl,
// no Boost, spdlog, SQLite or OpenSSL 3 libraries — and run there with chroot. The acceptance flow
// over stdio and HTTP, and an Entra ID (managed identity) login to the Python TDS test server,
// which needs libcurl: loaded with dlopen from the archive's lib/ through the binary's rpath.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SRC, sh, freshRootfs, devPackages, connectStdio, acceptance, httpGet, waitHealthy, start, within } from './lib.mjs';

const ARCHIVE = process.env.AZSQL_ARCHIVE;
const PREFIX = '/opt/azsql-mcp';
let rootfs;
let bin;

before(() => {
  assert.ok(ARCHIVE && existsSync(ARCHIVE), `AZSQL_ARCHIVE=${ARCHIVE}`);
  rootfs = freshRootfs('azsql-archive-root-');
  rootfs.mountProc();
  sh('mkdir', ['-p', path.join(rootfs.dir, PREFIX)]);
  sh('tar', ['-C', path.join(rootfs.dir, PREFIX), '--strip-components=1', '-xzf', ARCHIVE]);
  bin = `${PREFIX}/bin/azsql-mcp`;
});

after(() => rootfs?.cleanup());

test('the root filesystem is a minimal Debian 12 without the libraries the server links', () => {
  assert.match(sh('chroot', [rootfs.dir, 'cat', '/etc/debian_version']), /^12\./);
  assert.deepEqual(devPackages(rootfs.dir), []);
  const installed = sh('chroot', [rootfs.dir, 'dpkg-query', '-W', '-f', '${Package}\\n']).split('\n');
  for (const p of ['libcurl4', 'libssl3', 'libsqlite3-0', 'libspdlog1.10', 'libboost-json1.81.0']) {
    assert.ok(!installed.includes(p), `${p} is not installed in the minimal root filesystem`);
  }
});

test('every library resolves inside the chroot: ldd of the binary and of the bundled libcurl', () => {
  const ldd = sh('chroot', [rootfs.dir, '/usr/bin/ldd', bin]);
  assert.doesNotMatch(ldd, /not found/, ldd);
  assert.match(ldd, new RegExp(`libssl\\.so\\.3 => ${PREFIX}/bin/\\.\\./lib/libssl\\.so\\.3`), ldd);
  const libs = readdirSync(path.join(rootfs.dir, PREFIX, 'lib'));
  assert.ok(libs.includes('libcurl.so.4'), libs.join(' '));
  console.log(`bundled libraries (${libs.length}): ${libs.join(' ')}`);
});

test('acceptance flow over stdio in the chroot (demo database)', async () => {
  const c = await connectStdio('chroot', [rootfs.dir, bin, '--transport', 'stdio']);
  try {
    assert.equal(c.client.getServerVersion().name, 'azsql-mcp');
    await acceptance(c.client, assert);
  } finally {
    await c.client.close();
  }
});

test('Streamable HTTP in the chroot: /health, /metrics, clean stop on SIGTERM', async () => {
  const port = 20000 + (process.pid % 20000);
  const srv = start('chroot', [rootfs.dir, 'env', 'HOME=/tmp', `MCP_PORT=${port}`, 'LOG_LEVEL=warning', bin]);
  try {
    const h = await waitHealthy('127.0.0.1', port, 30000, srv.alive);
    assert.equal(JSON.parse(h.body).status, 'healthy');
    const m = await httpGet('127.0.0.1', port, '/metrics', { Accept: 'text/plain;version=0.0.4' });  // a Prometheus scrape
    assert.equal(m.status, 200);
    assert.match(m.body, /azsql_/);
  } finally {
    srv.proc.kill('SIGTERM');
  }
  assert.deepEqual(await within(srv.exited, 15000, 'exit after SIGTERM'), { code: 0, signal: null }, srv.output);
});

/** Starts a Python helper printing one JSON line, then serving until stdin closes. */
function startPython(script, args) {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', [path.join(SRC, script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    const timer = setTimeout(() => { p.kill('SIGTERM'); reject(new Error(`${script} did not start`)); }, 60000);
    p.stdout.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) { clearTimeout(timer); resolve({ proc: p, ...JSON.parse(buf.slice(0, i)) }); }
    });
    p.on('error', reject);
  });
}

test('Entra managed identity in the chroot: libcurl from the archive fetches the token, TDS login succeeds', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'azsql-archive-entra-'));
  const tokenFile = path.join(dir, 'token.txt');
  const fake = await startPython('tests/fakes/fake_azure.py', ['--token-file', tokenFile, '--cert-dir', path.join(dir, 'certs')]);
  const tds = await startPython('tests/tds_server/tds_server.py', ['--port', '0', '--token-file', tokenFile, '--token-principal', 'mi@fake.example']);
  try {
    copyFileSync(tds.cert, path.join(rootfs.dir, 'tmp/tds-ca.pem'));  // the chroot sees its own /tmp
    const c = await connectStdio('chroot', [rootfs.dir, bin, '--transport', 'stdio'], {
      AZURE_SQL_SERVER: `127.0.0.1,${tds.port}`, AZURE_SQL_DATABASE: 'demo', AZURE_SQL_CA_FILE: '/tmp/tds-ca.pem',
      AZURE_SQL_AUTH_TYPE: 'managed_identity', IDENTITY_ENDPOINT: fake.identity_endpoint, IDENTITY_HEADER: fake.identity_header,
    });
    try {
      const r = await c.client.callTool({ name: 'read_data', arguments: { query: "SELECT CONNECTIONPROPERTY('auth_scheme') AS scheme, SUSER_SNAME() AS login" } });
      assert.equal(r.isError, false, JSON.stringify(r) + c.stderr);
      assert.deepEqual(r.structuredContent.rows[0], ['FEDAUTH', 'mi@fake.example']);
    } finally {
      await c.client.close();
    }
    const log = await (await fetch(`http://127.0.0.1:${fake.port}/_log`)).json();
    assert.ok(log.requests.some((e) => e.endpoint === 'appservice' && e.outcome === 'ok'), JSON.stringify(log));
  } finally {
    for (const p of [fake, tds]) { p.proc.kill('SIGTERM'); p.proc.stdin.end(); }
    rmSync(dir, { recursive: true, force: true });
  }
});
