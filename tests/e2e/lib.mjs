// Shared helpers for the end-to-end tests: they drive the real azsql-mcp binary.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, copyFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const BIN = process.env.AZSQL_BIN || path.resolve(import.meta.dirname, '../../build/azsql-mcp');
export const SHARED = process.env.AZSQL_SHARED_DIR || path.resolve(import.meta.dirname, '../../../shared');

/** A fresh temp dir; the demo database is created there by the binary on first use. */
export function tempDir(prefix = 'azsql-e2e-') {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function sha256File(p) {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

/** Creates the demo database at dbPath: the binary builds it in its default location (under
 *  XDG_DATA_HOME) on first start; we copy it from there so every test works on its own file. */
export async function makeDemoDb(dbPath) {
  const home = tempDir('azsql-demo-home-');
  try {
    const c = await connectStdio({ XDG_DATA_HOME: home });
    await c.client.close();
    const built = path.join(home, 'azsql-mcp', 'demo.db');
    if (!existsSync(built)) throw new Error('demo database was not created');
    copyFileSync(built, dbPath);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Starts azsql-mcp over stdio with the official SDK client. */
export async function connectStdio(env = {}, args = []) {
  const transport = new StdioClientTransport({
    command: BIN,
    args: ['--transport', 'stdio', ...args],
    env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', LOG_LEVEL: 'warning', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d.toString(); });
  const client = new Client({ name: 'azsql-e2e', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return { client, transport, get stderr() { return stderr; } };
}

/** Raw newline-delimited JSON-RPC over the binary's stdio, for protocol-level tests. */
export class RawStdio {
  constructor(env = {}, args = []) {
    this.proc = spawn(BIN, ['--transport', 'stdio', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', LOG_LEVEL: 'warning', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.buf = '';
    this.messages = [];
    this.waiters = [];
    this.stderr = '';
    this.proc.stderr.on('data', (d) => { this.stderr += d.toString(); });
    this.proc.stdout.on('data', (d) => {
      this.buf += d.toString();
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (!line.trim()) continue;
        this.messages.push(JSON.parse(line));  // every stdout line must be JSON
        this.flush();
      }
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
  }
  flush() {
    for (const w of [...this.waiters]) {
      const idx = this.messages.findIndex(w.pred);
      if (idx >= 0) {
        const [m] = this.messages.splice(idx, 1);
        this.waiters.splice(this.waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(m);
      }
    }
  }
  waitFor(pred, ms = 15000) {
    return new Promise((resolve, reject) => {
      const w = { pred, resolve, timer: setTimeout(() => reject(new Error('timeout waiting for message; stderr: ' + this.stderr)), ms) };
      this.waiters.push(w);
      this.flush();
    });
  }
  sendLine(text) { this.proc.stdin.write(text + '\n'); }
  send(obj) { this.sendLine(JSON.stringify(obj)); }
  async request(id, method, params) {
    this.send({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params } : {}) });
    return this.waitFor((m) => m.id === id && !m.method);
  }
  async initialize(version = '2025-11-25') {
    const r = await this.request('init', 'initialize', { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return r;
  }
  async close() {
    this.proc.stdin.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }
}

/** Validators for the MCP JSON schema of each protocol revision (../shared/mcp-schema). */
const require = createRequire(import.meta.url);
const ajvCache = new Map();
export function schemaValidator(version) {
  if (ajvCache.has(version)) return ajvCache.get(version);
  const file = path.join(SHARED, 'mcp-schema', version, 'schema.json');
  const schema = JSON.parse(readFileSync(file, 'utf8'));
  const is2020 = String(schema.$schema || '').includes('2020-12');
  const Ajv = is2020 ? require('ajv/dist/2020').default : require('ajv').default;
  const addFormats = require('ajv-formats').default;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(schema, 'mcp');
  const defs = schema.definitions ? 'definitions' : '$defs';
  const v = (defName, value) => {
    const validate = ajv.getSchema(`mcp#/${defs}/${defName}`);
    if (!validate) throw new Error(`no ${defName} in schema ${version}`);
    if (!validate(value)) return ajv.errorsText(validate.errors, { separator: '\n' });
    return null;
  };
  ajvCache.set(version, v);
  return v;
}

/** Text of the first content block of a tool result. */
export const text = (r) => r.content?.[0]?.text ?? '';

export function sqlite3(db, sql) {
  return execFileSync('sqlite3', [db, sql], { encoding: 'utf8' });
}

export function rssKiB(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
}

/** Peak resident set size (VmHWM) of a process, in KiB. */
export function peakRssKiB(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(s)[1]);
}

/** The source tree (tests/tds_server, tests/data, ...). */
export const SRC = process.env.AZSQL_SOURCE_DIR || path.resolve(import.meta.dirname, '../..');

/**
 * Starts one of the Python test doubles (`script` under the source tree) with `args`; it prints one JSON line
 * when it listens. Resolves with that line's fields plus `proc` and `stop()` (by PID).
 */
function startPythonDouble(script, args, what) {
  return new Promise((resolve, reject) => {
    const proc = spawn('/usr/bin/python3', [path.join(SRC, script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), 120000);
    proc.stdout.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        clearTimeout(timer);
        const stop = () => { proc.kill('SIGTERM'); proc.stdin.end(); };
        resolve({ proc, stop, ...JSON.parse(buf.slice(0, i)) });
      }
    });
    proc.on('error', reject);
  });
}

/**
 * Starts the Python TDS test server (tests/tds_server) on a free loopback port with extra `args`;
 * resolves with its JSON line ({port, cert, routing_port, db, ...}) plus `proc` and `stop()` (by PID).
 */
export function startTdsServer(args = []) {
  return startPythonDouble('tests/tds_server/tds_server.py', ['--port', '0', ...args], 'TDS test server');
}

/**
 * Starts the fake Entra / IMDS endpoints (tests/fakes/fake_azure.py) with `args`; resolves with its JSON line
 * ({authority_host, tenant, client_id, ...}) plus `proc` and `stop()`.
 */
export function startFakeAzure(args = []) {
  return startPythonDouble('tests/fakes/fake_azure.py', args, 'fake Azure');
}

/** The environment that points azsql-mcp at a started TDS test server with SQL authentication. */
export function sqlServerEnv(srv, extra = {}) {
  return {
    AZURE_SQL_SERVER: `127.0.0.1,${srv.port}`, AZURE_SQL_DATABASE: 'demo', AZURE_SQL_USERNAME: 'sa',
    AZURE_SQL_PASSWORD: 'Passw0rd!', AZURE_SQL_CA_FILE: srv.cert, ...extra,
  };
}

export { rmSync, copyFileSync, existsSync };
