// Helpers for the Streamable HTTP end-to-end tests: start the real binary on a free port, raw
// fetch-level requests, an SSE reader, and the official SDK client over HTTP.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, tempDir, makeDemoDb, rmSync, copyFileSync } from './lib.mjs';

export const NODE = process.execPath;
export const INSPECTOR_DIR = path.resolve(import.meta.dirname, '../../node_modules/@modelcontextprotocol/inspector-cli/build');

/** A demo database shared by a test file; copies of it for tests that write. */
export async function demoDbFactory() {
  const dir = tempDir('azsql-http-e2e-');
  const master = path.join(dir, 'demo.db');
  await makeDemoDb(master);
  let n = 0;
  return {
    dir,
    master,
    fresh() {
      const p = path.join(dir, `copy-${++n}.db`);
      copyFileSync(master, p);
      return p;
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

/**
 * Starts azsql-mcp over HTTP on a free port (`--port 0`); the bound port is read from the banner
 * on stderr. Resolves once the banner is printed.
 */
export async function startHttp(env = {}, args = []) {
  const proc = spawn(BIN, ['--port', '0', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', LOG_LEVEL: 'warning', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  proc.stdout.on('data', (d) => { stdout += d.toString(); });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start; stderr: ' + stderr)), 15000);
    proc.stderr.on('data', (d) => {
      stderr += d.toString();
      const m = /endpoint\s*:\s*http:\/\/[^:]+:(\d+)\//.exec(stderr);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', () => { clearTimeout(timer); reject(new Error('server exited at start-up; stderr: ' + stderr)); });
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    proc, port, base, url: `${base}/mcp`, exited,
    get stderr() { return stderr; },
    get stdout() { return stdout; },
    /** SIGTERM, then SIGKILL after 15 s; resolves with { code, signal }. */
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

export const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

/** POSTs a JSON-RPC body (object or raw string) and returns { status, headers, text, json, events }. */
export async function post(url, body, headers = {}, init = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  return readResponse(res);
}

export async function readResponse(res) {
  const text = await res.text();
  const out = { status: res.status, headers: res.headers, text, json: undefined, events: [] };
  const ct = res.headers.get('content-type') || '';
  if (ct.startsWith('application/json') && text) out.json = JSON.parse(text);
  if (ct.startsWith('text/event-stream')) {
    out.events = parseSse(text);
    const msgs = out.events.filter((e) => e.data).map((e) => JSON.parse(e.data));
    out.messages = msgs;
    out.json = msgs.find((m) => 'result' in m || 'error' in m);
  }
  return out;
}

/** Parses a complete SSE text into events { id, data, retry }. */
export function parseSse(text) {
  const events = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    const ev = { id: undefined, data: '', retry: undefined };
    let hasField = false;
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') { ev.data += (ev.data ? '\n' : '') + value; hasField = true; }
      if (field === 'id') { ev.id = value; hasField = true; }
      if (field === 'retry') { ev.retry = Number(value); hasField = true; }
    }
    if (hasField) events.push(ev);
  }
  return events;
}

/** Incremental SSE reader over a fetch Response body. */
export class SseReader {
  constructor(res) {
    this.reader = res.body.getReader();
    this.decoder = new TextDecoder();
    this.buf = '';
    this.done = false;
  }
  /** Next event, or null at end of stream; rejects after `ms`. */
  async next(ms = 10000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = /\r?\n\r?\n/.exec(this.buf);
      if (m) {
        const block = this.buf.slice(0, m.index + m[0].length);
        this.buf = this.buf.slice(m.index + m[0].length);
        const evs = parseSse(block);
        if (evs.length) return evs[0];
        continue;  // a comment (keep-alive)
      }
      if (this.done) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for an SSE event');
      let timer;
      const r = await Promise.race([
        this.reader.read(),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timeout waiting for an SSE event')), left); }),
      ]).finally(() => clearTimeout(timer));
      if (r.done) this.done = true;
      else this.buf += this.decoder.decode(r.value, { stream: true });
    }
  }
  async cancel() { try { await this.reader.cancel(); } catch { /* already closed */ } }
}

export const initBody = (version = '2025-11-25', id = 'init') => ({
  jsonrpc: '2.0', id, method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw-http', version: '1' } },
});

/** initialize + notifications/initialized over raw HTTP; returns the session id. */
export async function openSession(url, version = '2025-11-25', headers = {}) {
  const r = await post(url, initBody(version), headers);
  if (r.status !== 200) throw new Error(`initialize: HTTP ${r.status} ${r.text}`);
  const sid = r.headers.get('mcp-session-id');
  const n = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' },
    { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': version, ...headers });
  if (n.status !== 202) throw new Error(`initialized: HTTP ${n.status}`);
  return sid;
}

/** The official SDK client over Streamable HTTP. */
export async function connectSdk(url, { headers = {}, name = 'azsql-http-e2e' } = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name, version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return { client, transport };
}

/** Waits (bounded, 10 s) until the server reports at least `n` requests in flight (/metrics JSON). */
export async function waitInFlight(base, n = 1) {
  for (let i = 0; i < 200; i++) {
    const m = await (await fetch(`${base}/metrics?format=json`)).json();
    if (m.in_flight >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${n} requests in flight after 10 s`);
}
