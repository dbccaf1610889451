// Token cost of what a model reads (issue 17): the text content of query results and the tool list,
// for azsql-mcp and its peers on the same SQLite file, counted with @anthropic-ai/tokenizer (pinned in
// bench/package.json). Each server runs in a fresh process over stdio with raw newline-delimited
// JSON-RPC (no SDK, so every server is read the same way).
//
//   node bench/tokens.mjs --db bench/work/bench.db --out bench/work/tokens.jsonl \
//     --azsql build-bench/azsql-mcp --toolbox <toolbox binary> --toolbox-config bench/work/tools.yaml \
//     --dbhub <dbhub index.js> [--servers "azsql-mcp toolbox dbhub"] [--rows 1,100,10000]
//
// One JSON line per server: {kind:"tokens", name, tools:{count, tokens, tokens_with_output,
// per_tool:{name: tokens}}, results:[{rows, returned, tokens, chars}]}. Results query the `mixed` table
// (bench/make_db.py: integers, reals, text with quotes/commas/line breaks, NULLs, dates, binary);
// `t100` is the original 100-row × 4-column query on `t`.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { countTokens } from '@anthropic-ai/tokenizer';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const SERVERS = (args.servers || 'azsql-mcp toolbox dbhub').split(/\s+/).filter(Boolean);
const ROWS = (args.rows || '1,100,10000').split(',').map(Number);
const TIMEOUT_MS = 60_000;

/** The command, tool and argument shape of each server (the same configuration bench/run.sh uses). */
export function serverSpec(name) {
  switch (name) {
    case 'azsql-mcp':
      return {
        cmd: args.azsql, argv: ['--transport', 'stdio'],
        env: { SQLITE_PATH: args.db, MCP_MAX_ROW_LIMIT: '10000', MCP_MAX_RESULT_BYTES: '67108864', LOG_LEVEL: 'warn' },
        call: (sql, n) => ({ name: 'read_data', arguments: { query: sql, limit: n } }),
      };
    case 'toolbox':
      return {
        cmd: args.toolbox,
        argv: ['--config', args['toolbox-config'], '--disable-version-check', '--disable-reload', '--log-level', 'WARN', '--stdio'],
        env: {}, call: (sql) => ({ name: 'execute_sql', arguments: { sql } }),
      };
    case 'dbhub':
      return {
        cmd: args.node || process.execPath, argv: [args.dbhub, '--dsn', `sqlite://${args.db}`, '--transport', 'stdio'],
        env: {}, call: (sql) => ({ name: 'execute_sql', arguments: { sql } }),
      };
    default: throw new Error(`unknown server ${name}`);
  }
}

/** A bounded JSON-RPC session over a child's stdio. */
export class Session {
  constructor(spec) {
    this.proc = spawn(spec.cmd, spec.argv, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', ...spec.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pending = new Map();
    this.nextId = 1;
    this.buf = '';
    this.stderr = '';
    this.proc.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-4000); });
    this.proc.stdout.on('data', (d) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (!line.startsWith('{')) continue;
        let msg;
        try { msg = JSON.parse(line); } catch { continue; }
        const p = msg.id !== undefined && !msg.method ? this.pending.get(msg.id) : undefined;
        if (p) { this.pending.delete(msg.id); clearTimeout(p.timer); p.resolve(msg); }
      }
    });
    this.proc.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`server exited (${code}): ${this.stderr}`));
      this.pending.clear();
    });
  }
  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new Error(`${method} timed out`)); }, TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }
  notify(method, params) { this.proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', method, params }) + '\n'); }
  async close() {
    this.proc.stdin.end();
    const exited = new Promise((r) => this.proc.once('exit', r));
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    this.proc.kill('SIGTERM');
    await exited;
    clearTimeout(t);
  }
}

/** A tool as a model sees it (the Messages API `tools` entry), optionally with its output schema. */
export function modelTool(t, withOutput) {
  const o = { name: t.name, description: t.description ?? '', input_schema: t.inputSchema ?? {} };
  if (withOutput && t.outputSchema) o.output_schema = t.outputSchema;
  return JSON.stringify(o);
}

/** The text a model reads from a tools/call result: its text content items, joined. */
export function resultText(result) {
  return (result.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

async function measure(name) {
  const spec = serverSpec(name);
  const s = new Session(spec);
  try {
    const init = await s.request('initialize', {
      protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'azsql-bench-tokens', version: '1' },
    });
    if (init.error) throw new Error(`initialize: ${JSON.stringify(init.error)}`);
    s.notify('notifications/initialized', {});
    const list = await s.request('tools/list', {});
    const tools = list.result.tools;
    const perTool = {};
    let tokens = 0, withOutput = 0;
    for (const t of tools) {
      perTool[t.name] = countTokens(modelTool(t, false));
      tokens += perTool[t.name];
      withOutput += countTokens(modelTool(t, true));
    }
    const results = [];
    const queries = ROWS.map((n) => ({ label: String(n), n, sql: `SELECT * FROM mixed WHERE id <= ${n} ORDER BY id` }));
    queries.push({ label: 't100', n: 100, sql: 'SELECT * FROM t WHERE id <= 100 ORDER BY id' });
    for (const q of queries) {
      const r = await s.request('tools/call', spec.call(q.sql, q.n));
      if (r.error || r.result.isError) throw new Error(`${q.sql}: ${JSON.stringify(r.error || r.result.content)}`);
      const text = resultText(r.result);
      results.push({ rows: q.label, returned: r.result.structuredContent?.row_count ?? null, tokens: countTokens(text),
                     chars: text.length, sample: text.slice(0, 600) });
    }
    return { kind: 'tokens', name, tools: { count: tools.length, tokens, tokens_with_output: withOutput, per_tool: perTool }, results };
  } finally {
    await s.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let failures = 0;
  for (const name of SERVERS) {
    try {
      const rec = await measure(name);
      const line = JSON.stringify(rec);
      if (args.out) appendFileSync(args.out, line + '\n');
      const res = rec.results.map((r) => `${r.rows} rows: ${r.tokens}`).join(', ');
      console.error(`[tokens] ${name}: ${rec.tools.count} tools = ${rec.tools.tokens} tokens ` +
                    `(${rec.tools.tokens_with_output} with output schemas); ${res}`);
    } catch (e) {
      failures++;
      console.error(`[tokens] ${name} failed: ${e.message}`);
    }
  }
  process.exit(failures ? 1 : 0);
}
