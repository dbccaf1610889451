// MCP tasks through the real binary: read_data, explain_query and the write tools run as tasks when the
// client negotiates them — the 2025-11-25 tasks utility with the official SDK client's task API
// (client.experimental.tasks: callToolStream, getTask, listTasks, cancelTask, getTaskResult) and the
// 2026-07-28 tasks extension with raw JSON-RPC over Streamable HTTP (the SDK has no 2026-07-28 task
// API). Cancelling a task stops its SQL (SQLite: sqlite3_interrupt, checked through a one-connection
// pool that is free again at once; SQL Server: the Python TDS test server logs the ATTENTION it
// answered), a task outlives the HTTP connection that created it, results expire after MCP_TASK_TTL and
// MCP_TASK_MAX_PER_OWNER bounds how many one owner holds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CallToolResultSchema, CreateTaskResultSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { connectStdio, tempDir, makeDemoDb, rmSync, copyFileSync, sqlServerEnv, SRC, BIN } from './lib.mjs';
import { startHttp } from './http_lib.mjs';

const text = (r) => (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
// SQLite needs minutes for this (a recursive CTE over a billion rows): only a cancel ends it early.
const ENDLESS = 'WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000000000) SELECT count(*) AS n FROM g';
const SERIES_SUM = (n) => `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${n}) SELECT count(*) AS c, sum(n) AS s FROM g`;
// Rows trickle out of the TDS test server (a correlated COUNT per row; minutes for all of them); it checks
// for ATTENTION every 64 rows (see tests/integration/tds/sqlserver_faults.test.mjs).
const TRICKLE = 'SELECT a.id FROM big_table a WHERE (SELECT COUNT(*) FROM ' +
  '(SELECT TOP 4000 id FROM big_table) b WHERE b.id < a.id - 1000000) = 0';

let dir, master;
let n = 0;
const fresh = () => { const p = path.join(dir, `db-${++n}.db`); copyFileSync(master, p); return p; };
before(async () => {
  dir = tempDir('azsql-tasks-');
  master = path.join(dir, 'demo.db');
  await makeDemoDb(master);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Polls getTask (2025-11-25) until `pred` holds (bounded). */
async function until(client, taskId, pred, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const t = await client.experimental.tasks.getTask(taskId);
    if (pred(t)) return t;
    if (Date.now() > end) throw new Error(`task ${taskId} stayed ${t.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** tools/call with params.task through the SDK (the CreateTaskResult itself, before any polling). */
const createTask = (client, name, args) =>
  client.request({ method: 'tools/call', params: { name, arguments: args, task: { ttl: 60000 } } }, CreateTaskResultSchema);

test('SDK 2025-11-25: read_data and explain_query run as tasks — created, polled, listed, result fetched', async () => {
  const c = await connectStdio({ SQLITE_PATH: fresh() });
  try {
    const tools = (await c.client.listTools()).tools;
    const support = Object.fromEntries(tools.map((t) => [t.name, t.execution?.taskSupport ?? 'forbidden']));
    assert.deepEqual([support.read_data, support.explain_query, support.insert_data, support.update_data, support.list_tables],
      ['optional', 'optional', 'optional', 'optional', 'forbidden']);
    const seen = [];
    let result;
    for await (const m of c.client.experimental.tasks.callToolStream({ name: 'read_data', arguments: { query: SERIES_SUM(300000) } })) {
      seen.push(m.type);
      if (m.type === 'result') result = m.result;
      if (m.type === 'error') assert.fail(String(m.error));
    }
    assert.equal(seen[0], 'taskCreated');
    assert.ok(seen.includes('taskStatus'));
    assert.equal(seen.at(-1), 'result');
    assert.equal(result.isError, false, text(result));
    assert.deepEqual(result.structuredContent.rows, [[300000, 300000 * 300001 / 2]]);
    assert.ok(result._meta['io.modelcontextprotocol/related-task'].taskId);

    const created = await createTask(c.client, 'explain_query', { query: 'SELECT * FROM Article WHERE Article_Id = 1' });
    assert.equal(created.task.status, 'working');
    assert.equal(created.task.ttl, 900000);
    const plan = await c.client.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    assert.equal(plan.isError, false, text(plan));
    assert.ok(plan.structuredContent, 'explain_query result with structured content');
    const listed = await c.client.experimental.tasks.listTasks();
    const ids = listed.tasks.map((t) => t.taskId);
    assert.ok(ids.includes(created.task.taskId));
    assert.equal(listed.tasks.length, 2, 'both tasks of this session, newest first');
    assert.equal(listed.tasks[0].taskId, created.task.taskId);
    // Without params.task the same tool answers synchronously as before.
    const sync = await c.client.callTool({ name: 'read_data', arguments: { query: 'SELECT 1 AS one' } });
    assert.deepEqual(sync.structuredContent.rows, [[1]]);
  } finally { await c.client.close(); }
});

test('SDK 2025-11-25: tasks/cancel interrupts the SQLite statement (its only pooled connection is free again at once)', async () => {
  const c = await connectStdio({ SQLITE_PATH: fresh(), CONNECTION_POOL_SIZE: '1', MCP_QUERY_TIMEOUT: '600' });
  try {
    const created = await createTask(c.client, 'read_data', { query: ENDLESS });
    const id = created.task.taskId;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await c.client.experimental.tasks.getTask(id)).status, 'working');
    const t0 = Date.now();
    const cancelled = await c.client.experimental.tasks.cancelTask(id);
    assert.equal(cancelled.status, 'cancelled');
    // The next statement needs the one connection: it gets it only if the endless one stopped.
    const next = await c.client.callTool({ name: 'read_data', arguments: { query: 'SELECT 42 AS answer' } });
    const ms = Date.now() - t0;
    assert.equal(next.isError, false, text(next));
    assert.deepEqual(next.structuredContent.rows, [[42]]);
    assert.ok(ms < 15000, `the connection came back ${ms} ms after the cancel`);
    assert.equal((await c.client.experimental.tasks.getTask(id)).status, 'cancelled');
    await assert.rejects(c.client.experimental.tasks.getTaskResult(id, CallToolResultSchema), /cancelled/);
    await assert.rejects(c.client.experimental.tasks.cancelTask(id), /already cancelled/);
    console.log(`  [cancel] SQLite connection free ${ms} ms after tasks/cancel`);
  } finally { await c.client.close(); }
});

test('SDK 2025-11-25: insert_data as a task writes once, result fetched with tasks/result', async () => {
  const db = fresh();
  const c = await connectStdio({ SQLITE_PATH: db });
  try {
    const created = await createTask(c.client, 'insert_data', { table: 'Region', rows: [{ Region_Id: 900, Region_Libelle: 'Task region' }] });
    const r = await c.client.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.rows_affected, 1);
    const check = await c.client.callTool({ name: 'read_data', arguments: { query: "SELECT Region_Libelle FROM Region WHERE Region_Id = 900" } });
    assert.deepEqual(check.structuredContent.rows, [['Task region']]);
  } finally { await c.client.close(); }
});

test('SDK 2025-11-25: update_data as a task asks through elicitation — input_required meanwhile, then committed', async () => {
  const db = fresh();
  const transport = new StdioClientTransport({ command: BIN, args: ['--transport', 'stdio'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', LOG_LEVEL: 'warning', SQLITE_PATH: db } });
  const client = new Client({ name: 'azsql-e2e-tasks', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  const asked = [];
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params);
    await new Promise((r) => setTimeout(r, 1500));  // long enough for a poll to see input_required
    return { action: 'accept', content: { confirm: true } };
  });
  await client.connect(transport);
  try {
    await client.listTools();  // the SDK learns execution.taskSupport from the list
    const statuses = [];
    let result;
    const sql = "UPDATE Region SET Region_Libelle = Region_Libelle || ' (e)' WHERE Region_Id <= 3";
    for await (const m of client.experimental.tasks.callToolStream({ name: 'update_data', arguments: { sql, max_rows: 1 } })) {
      if (m.type === 'taskCreated' || m.type === 'taskStatus') statuses.push(m.task.status);
      if (m.type === 'result') result = m.result;
      if (m.type === 'error') assert.fail(String(m.error));
    }
    assert.equal(asked.length, 1);
    assert.match(asked[0].message, /would change 3 rows, more than max_rows 1/);
    assert.ok(asked[0]._meta['io.modelcontextprotocol/related-task'].taskId, 'the question names its task');
    assert.ok(statuses.includes('input_required'), `statuses seen: ${statuses}`);
    assert.equal(result.isError, false, text(result));
    assert.equal(result.structuredContent.committed, true);
    assert.equal(result.structuredContent.rows_affected, 3);
    const check = await client.callTool({ name: 'read_data', arguments: { query: "SELECT count(*) FROM Region WHERE Region_Libelle LIKE '% (e)'" } });
    assert.deepEqual(check.structuredContent.rows, [[3]]);
  } finally { await client.close(); }
});

test('SDK 2025-11-25: results expire after MCP_TASK_TTL; MCP_TASK_MAX_PER_OWNER bounds a session', async () => {
  const c = await connectStdio({ SQLITE_PATH: fresh(), MCP_TASK_TTL: '2', MCP_TASK_MAX_PER_OWNER: '1' });
  try {
    const a = await createTask(c.client, 'read_data', { query: SERIES_SUM(200000) });
    assert.equal(a.task.ttl, 2000);
    await assert.rejects(createTask(c.client, 'read_data', { query: 'SELECT 1' }), /too many tasks \(1 of at most 1/);
    const done = await until(c.client, a.task.taskId, (t) => t.status === 'completed');
    assert.equal(done.ttl, 2000);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(a.task.createdAt) + 2300 - Date.now())));
    await assert.rejects(c.client.experimental.tasks.getTask(a.task.taskId), /Unknown task/);
    const b = await createTask(c.client, 'read_data', { query: 'SELECT 1' });  // the expired one no longer counts
    assert.ok(b.task.taskId);
  } finally { await c.client.close(); }
});

test('a task gets MCP_TASK_QUERY_TIMEOUT instead of MCP_QUERY_TIMEOUT', async () => {
  // About 3 s of SQLite work (5 million rows): longer than the 1 s request timeout.
  const q = SERIES_SUM(5000000);
  const c = await connectStdio({ SQLITE_PATH: fresh(), MCP_QUERY_TIMEOUT: '1' });
  try {
    const sync = await c.client.callTool({ name: 'read_data', arguments: { query: q } });
    assert.equal(sync.isError, true);
    assert.match(text(sync), /statement timeout/);
    const created = await createTask(c.client, 'read_data', { query: q });
    const r = await c.client.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    assert.equal(r.isError, false, text(r));
    assert.deepEqual(r.structuredContent.rows, [[5000000, 5000000 * 5000001 / 2]]);
  } finally { await c.client.close(); }
  const d = await connectStdio({ SQLITE_PATH: fresh(), MCP_TASK_QUERY_TIMEOUT: '1' });
  try {
    const created = await createTask(d.client, 'read_data', { query: q });
    const r = await d.client.experimental.tasks.getTaskResult(created.task.taskId, CallToolResultSchema);
    assert.equal(r.isError, true, 'the task is completed with the timeout as its tool error');
    assert.match(text(r), /1 s statement timeout .*MCP_TASK_QUERY_TIMEOUT/);
  } finally { await d.client.close(); }
});

// ---------------------------------------------------------------- 2026-07-28 over HTTP (raw JSON-RPC)

const V = '2026-07-28';
const EXT = 'io.modelcontextprotocol/tasks';
let nextId = 1;
/** One 2026-07-28 POST on its own connection (no keep-alive): the connection closes after the reply. */
async function rpc(url, method, params, { ext = true, elicitation = false } = {}) {
  const id = nextId++;
  const caps = { ...(ext ? { extensions: { [EXT]: {} } } : {}), ...(elicitation ? { elicitation: {} } : {}) };
  const body = { jsonrpc: '2.0', id, method, params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': caps } } };
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': V, 'Mcp-Method': method, Connection: 'close' };
  const name = method === 'tools/call' ? params.name : params.taskId;
  if (name) headers['Mcp-Name'] = name;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const t = await res.text();
  const msg = (res.headers.get('content-type') || '').includes('text/event-stream')
    ? t.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5))).find((m) => m.id === id)
    : JSON.parse(t);
  return msg;
}

async function pollModern(url, taskId, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const g = await rpc(url, 'tasks/get', { taskId });
    if (['completed', 'failed', 'cancelled'].includes(g.result?.status) || g.error) return g;
    if (Date.now() > end) throw new Error('task did not end: ' + JSON.stringify(g));
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('2026-07-28 over HTTP: the extension is advertised; read_data becomes a task that outlives its connection', async () => {
  const srv = await startHttp({ SQLITE_PATH: fresh(), MCP_HOST: '127.0.0.1' });
  try {
    const d = await rpc(srv.url, 'server/discover', {});
    assert.deepEqual(d.result.capabilities.extensions, { [EXT]: {} });
    // Without the extension: synchronous, and tasks/get is refused with -32021.
    const sync = await rpc(srv.url, 'tools/call', { name: 'read_data', arguments: { query: 'SELECT 7 AS n' } }, { ext: false });
    assert.equal(sync.result.resultType, 'complete');
    assert.deepEqual(sync.result.structuredContent.rows, [[7]]);
    assert.equal((await rpc(srv.url, 'tasks/get', { taskId: 'x' }, { ext: false })).error.code, -32021);

    const created = await rpc(srv.url, 'tools/call', { name: 'read_data', arguments: { query: SERIES_SUM(400000) } });
    assert.equal(created.result.resultType, 'task');
    assert.equal(created.result.status, 'working');
    assert.equal(created.result.ttlMs, 900000);
    assert.ok(!('content' in created.result));
    // That connection is closed now (Connection: close); the task goes on and is polled over new ones.
    const done = await pollModern(srv.url, created.result.taskId);
    assert.equal(done.result.status, 'completed', JSON.stringify(done));
    assert.equal(done.result.resultType, 'complete');
    assert.deepEqual(done.result.result.structuredContent.rows, [[400000, 400000 * 400001 / 2]]);
    assert.equal((await rpc(srv.url, 'tasks/get', { taskId: 'nope' })).error.code, -32602);
    assert.equal((await rpc(srv.url, 'tasks/list', {})).error.code, -32601);

    const slow = await rpc(srv.url, 'tools/call', { name: 'read_data', arguments: { query: ENDLESS } });
    const ack = await rpc(srv.url, 'tasks/cancel', { taskId: slow.result.taskId });
    assert.deepEqual(Object.keys(ack.result).filter((k) => k !== '_meta'), ['resultType']);
    assert.equal((await pollModern(srv.url, slow.result.taskId)).result.status, 'cancelled');
  } finally { await srv.stop(); }
});

test('2026-07-28 over HTTP: update_data as a task asks for confirmation through input_required and tasks/update', async () => {
  const srv = await startHttp({ SQLITE_PATH: fresh(), MCP_HOST: '127.0.0.1' });
  try {
    const sql = "UPDATE Region SET Region_Libelle = Region_Libelle || ' (t)' WHERE Region_Id <= 3";
    const created = await rpc(srv.url, 'tools/call', { name: 'update_data', arguments: { sql, max_rows: 1 } }, { elicitation: true });
    assert.equal(created.result.resultType, 'task', JSON.stringify(created));
    const taskId = created.result.taskId;
    let g;
    for (let i = 0; i < 300; i++) {
      g = await rpc(srv.url, 'tasks/get', { taskId });
      if (g.result.status !== 'working') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(g.result.status, 'input_required', JSON.stringify(g));
    const ask = g.result.inputRequests.confirm_update;
    assert.equal(ask.method, 'elicitation/create');
    assert.match(ask.params.message, /would change 3 rows, more than max_rows 1/);
    const ack = await rpc(srv.url, 'tasks/update', { taskId, inputResponses: { confirm_update: { action: 'accept', content: { confirm: true } } } });
    assert.equal(ack.result.resultType, 'complete');
    const done = await pollModern(srv.url, taskId);
    assert.equal(done.result.status, 'completed', JSON.stringify(done));
    assert.equal(done.result.result.isError, false, JSON.stringify(done.result.result));
    assert.equal(done.result.result.structuredContent.committed, true);
    assert.equal(done.result.result.structuredContent.confirmed, true);
    assert.equal(done.result.result.structuredContent.rows_affected, 3);
    const check = await rpc(srv.url, 'tools/call', { name: 'read_data', arguments: { query: "SELECT count(*) FROM Region WHERE Region_Libelle LIKE '% (t)'" } }, { ext: false });
    assert.deepEqual(check.result.structuredContent.rows, [[3]]);
  } finally { await srv.stop(); }
});

// ---------------------------------------------------------------- SQL Server (Python TDS test server)

function startTds() {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', [path.join(SRC, 'tests/tds_server/tds_server.py'), '--port', '0', '-v'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const s = { proc: p, log: '', stop() { p.kill('SIGTERM'); p.stdin.end(); } };
    p.stderr.on('data', (d) => { s.log += d.toString(); });
    let buf = '';
    const timer = setTimeout(() => { s.stop(); reject(new Error('TDS test server did not start')); }, 30000);
    p.stdout.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0 && !s.port) { clearTimeout(timer); Object.assign(s, JSON.parse(buf.slice(0, i))); resolve(s); }
    });
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

test('SQL Server: tasks/cancel sends ATTENTION — the server stops the statement; the next call succeeds', async () => {
  const tds = await startTds();
  const c = await connectStdio(sqlServerEnv(tds, { CONNECTION_POOL_SIZE: '1', MCP_QUERY_TIMEOUT: '600' }));
  try {
    const created = await createTask(c.client, 'read_data', { query: TRICKLE, limit: 10000 });
    const id = created.task.taskId;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await c.client.experimental.tasks.getTask(id)).status, 'working');
    assert.doesNotMatch(tds.log, /answering ATTENTION/);
    const t0 = Date.now();
    assert.equal((await c.client.experimental.tasks.cancelTask(id)).status, 'cancelled');
    const next = await c.client.callTool({ name: 'read_data', arguments: { query: 'SELECT TOP 3 id FROM big_table ORDER BY id' } });
    const ms = Date.now() - t0;
    assert.equal(next.isError, false, text(next));
    assert.deepEqual(next.structuredContent.rows, [[1], [2], [3]]);
    assert.match(tds.log, /answering ATTENTION/, 'the database server saw the ATTENTION and stopped the statement');
    console.log(`  [cancel] SQL Server: ATTENTION answered, next call done ${ms} ms after tasks/cancel`);
  } finally {
    await c.client.close();
    tds.stop();
  }
});
