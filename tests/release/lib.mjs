// Helpers for the release tests (make release-test): they run as root, use chroot, buildah and
// runc, and drive the packaged server with the official MCP SDK client.
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const SRC = path.resolve(import.meta.dirname, '../..');

export function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts }).trim();
}

export function tempDir(prefix) {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** The cached debootstrap --variant=minbase bookworm tarball, unpacked into a fresh directory. */
export function freshRootfs(prefix = 'azsql-rootfs-') {
  const tarball = sh(path.join(SRC, 'scripts/release/base-image.sh'), ['rootfs']);
  const dir = tempDir(prefix);
  sh('tar', ['-C', dir, '-xf', tarball]);
  // What a chroot needs from the host to reach the network and run programs.
  sh('cp', ['/etc/resolv.conf', path.join(dir, 'etc/resolv.conf')]);
  return {
    dir,
    mountProc() { sh('mount', ['-t', 'proc', 'proc', path.join(dir, 'proc')]); this.proc = true; },
    cleanup() {
      if (this.proc) sh('umount', ['-l', path.join(dir, 'proc')]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Dev packages (anything *-dev, a compiler) installed in a root filesystem, by dpkg. */
export function devPackages(rootfs) {
  const out = sh('chroot', [rootfs, 'dpkg-query', '-W', '-f', '${Package}\\n']);
  return out.split('\n').filter((p) => /-dev$|^g\+\+|^gcc$|^cmake$/.test(p));
}

/** The SDK client over stdio on a command (e.g. chroot ROOT /path/azsql-mcp --transport stdio). */
export async function connectStdio(command, args, env = {}) {
  const transport = new StdioClientTransport({
    command, args, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp', LOG_LEVEL: 'warning', ...env }, stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d.toString(); });
  const client = new Client({ name: 'azsql-release-test', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return { client, transport, get stderr() { return stderr; } };
}

export async function connectHttp(url) {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client({ name: 'azsql-release-test', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return { client, transport };
}

/** The acceptance flow every packaging path runs: tools listed, a query answered from the demo database. */
export async function acceptance(client, assert) {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const n of ['list_tables', 'describe_table', 'read_data', 'health_check']) assert.ok(names.includes(n), `tool ${n} listed`);
  const tables = await client.callTool({ name: 'list_tables', arguments: {} });
  assert.equal(tables.isError, false, JSON.stringify(tables));
  assert.match(JSON.stringify(tables.structuredContent), /Article/);
  const rows = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT count(*) AS n FROM Region' } });
  assert.equal(rows.isError, false, JSON.stringify(rows));
  assert.equal(rows.structuredContent.row_count, 1);
  const health = await client.callTool({ name: 'health_check', arguments: {} });
  assert.equal(health.isError, false, JSON.stringify(health));
}

/** A plain HTTP GET with full control over the Host header; resolves { status, body }. */
export function httpGet(host, port, pathName, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: pathName, method: 'GET', headers, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** Polls GET /health until it answers 200 (or `ms` pass). */
export async function waitHealthy(host, port, ms = 30000, alive = () => true) {
  const until = Date.now() + ms;
  let last = '';
  while (Date.now() < until) {
    if (!alive()) throw new Error('server exited before answering /health');
    try {
      const r = await httpGet(host, port, '/health');
      if (r.status === 200) return r;
      last = `${r.status} ${r.body}`;
    } catch (e) { last = e.message; }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no healthy answer from ${host}:${port}/health: ${last}`);
}

/** Spawns a long-running command; resolves `exited` with { code, signal }. */
export function start(cmd, args, opts = {}) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  proc.stdout?.on('data', (d) => { out += d.toString(); });
  proc.stderr?.on('data', (d) => { out += d.toString(); });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, exited, get output() { return out; }, alive: () => proc.exitCode === null && proc.signalCode === null };
}

/** Resolves with the value of `p`, or rejects after `ms`. */
export function within(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: not within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}
