// Every usage example of the original product description, run as written against the embedded demo
// database over Streamable HTTP (the description's transport): the tool calls with their exact
// arguments, the resources, the prompts, and the curl commands (only the port differs: the test
// server listens on a free port instead of 8000). When the description is at hand (../shared), each
// example text below is also checked to appear in it verbatim, so this file cannot drift from it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SHARED, sqlite3 } from './lib.mjs';
import { demoDbFactory, startHttp, connectSdk } from './http_lib.mjs';

const sh = promisify(execFile);
const SEED = path.join(SHARED, 'seeds/000_6844390757c6890e.txt');

// The examples, copied from the description.
const TOOL_EXAMPLES = [
  ['list_tables', {}, 'result = await client.call_tool("list_tables", {})'],
  ['describe_table', { table_name: 'Article' }, 'result = await client.call_tool("describe_table", {"table_name": "Article"})'],
  ['read_data', { query: 'SELECT TOP 10 * FROM Article WHERE RegionId = 1', limit: 50 },
    '"query": "SELECT TOP 10 * FROM Article WHERE RegionId = 1",\n    "limit": 50'],
  ['insert_data', { sql: "INSERT INTO Region (Region_Libelle) VALUES ('New Region')" },
    '"sql": "INSERT INTO Region (Region_Libelle) VALUES (\'New Region\')"'],
  ['update_data', { sql: "UPDATE Region SET Region_Libelle = 'Updated Region' WHERE Region_Id = 1" },
    '"sql": "UPDATE Region SET Region_Libelle = \'Updated Region\' WHERE Region_Id = 1"'],
  ['health_check', {}, 'result = await client.call_tool("health_check", {})'],
];
const RESOURCES = ['database://schema', 'database://status', 'database://tables'];
const PROMPTS = [
  ['sql_query_builder', { table: 'Article', operation: 'SELECT' }, '"table": "Article",\n    "operation": "SELECT"'],
  ['analyze_performance', { query: 'SELECT * FROM Article WHERE Tarif > 500' }, '"query": "SELECT * FROM Article WHERE Tarif > 500"'],
];
const CURL_HEALTH = 'curl http://127.0.0.1:8000/health';
const CURL_METRICS = 'curl http://127.0.0.1:8000/metrics';
const CURL_MCP = `curl -H "Content-Type: application/json" \\
     -H "Accept: application/json, text/event-stream" \\
     -d '{"jsonrpc":"2.0","id":"test","method":"initialize","params":{"capabilities":{},"clientInfo":{"name":"test","version":"1.0"},"protocolVersion":"2024-11-05"}}' \\
     http://127.0.0.1:8000/mcp`;

let dbs, db, srv, client;
const log = [];  // what ran and what came back, printed at the end (the closing note quotes it)

before(async () => {
  dbs = await demoDbFactory();
  db = dbs.fresh();
  srv = await startHttp({ SQLITE_PATH: db });
  ({ client } = await connectSdk(srv.url));
});
after(async () => {
  await client?.close();
  await srv?.stop();
  dbs?.cleanup();
  for (const l of log) console.log(l);
});

const curl = async (cmd) => {
  const { stdout } = await sh('sh', ['-c', cmd.replaceAll('127.0.0.1:8000', `127.0.0.1:${srv.port}`)]);
  log.push(`$ ${cmd}\n${stdout.slice(0, 600)}`);
  return stdout;
};
const call = async (name, args) => {
  const r = await client.callTool({ name, arguments: args });
  log.push(`call_tool(${JSON.stringify(name)}, ${JSON.stringify(args)}) -> ${r.isError ? 'ERROR ' : ''}${r.content[0].text.slice(0, 400)}`);
  return r;
};

test('the examples below are the description\'s own text', { skip: !existsSync(SEED) && 'description not at hand' }, () => {
  const seed = readFileSync(SEED, 'utf8');
  for (const [, , quoted] of [...TOOL_EXAMPLES, ...PROMPTS]) assert.ok(seed.includes(quoted), quoted);
  for (const uri of RESOURCES) assert.ok(seed.includes(`client.read_resource("${uri}")`), uri);
  for (const c of [CURL_HEALTH, CURL_METRICS, CURL_MCP]) assert.ok(seed.includes(c), c);
});

test('list_tables and describe_table', async () => {
  const lt = await call(...TOOL_EXAMPLES[0].slice(0, 2));
  assert.ok(!lt.isError);
  for (const t of ['Article', 'CategorieArticles', 'Region']) assert.match(lt.content[0].text, new RegExp(`\\b${t}\\b`));
  const dt = await call(...TOOL_EXAMPLES[1].slice(0, 2));
  assert.ok(!dt.isError);
  const cols = dt.structuredContent.columns.map((c) => c.name);
  assert.deepEqual(cols, sqlite3(db, "SELECT name FROM pragma_table_info('Article') ORDER BY cid").trim().split('\n'));
});

test('read_data: SELECT TOP 10 (T-SQL) on the embedded database', async () => {
  const r = await call(...TOOL_EXAMPLES[2].slice(0, 2));
  assert.ok(!r.isError, r.content[0].text);
  const want = sqlite3(db, 'SELECT Article_Id FROM Article WHERE RegionId = 1 LIMIT 10').trim().split('\n').map(Number);
  assert.equal(want.length, 10);
  const idCol = r.structuredContent.columns.findIndex((c) => c.name === 'Article_Id');
  const regionCol = r.structuredContent.columns.findIndex((c) => c.name === 'RegionId');
  assert.deepEqual(r.structuredContent.rows.map((row) => row[idCol]), want);
  assert.ok(r.structuredContent.rows.every((row) => row[regionCol] === 1));
  // The description's fallback query, and T-SQL beyond the subset named as such.
  const fallback = await call('read_data', { query: 'SELECT name FROM sys.tables ORDER BY name' });
  assert.deepEqual(fallback.structuredContent.rows.map((x) => x[0]),
    sqlite3(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").trim().split('\n'));
  const beyond = await call('read_data', { query: 'SELECT * FROM Article a CROSS APPLY (SELECT TOP 1 * FROM Region) r' });
  assert.ok(beyond.isError);
  assert.match(beyond.content[0].text, /CROSS\/OUTER APPLY is T-SQL beyond .*T-SQL subset: TOP n/);
});

test('insert_data and update_data as written', async () => {
  const ins = await call(...TOOL_EXAMPLES[3].slice(0, 2));
  assert.equal(ins.content[0].text.split(' Last')[0], 'INSERT operation completed successfully. 1 row(s) inserted.');
  assert.equal(sqlite3(db, "SELECT count(*) FROM Region WHERE Region_Libelle = 'New Region'").trim(), '1');
  const up = await call(...TOOL_EXAMPLES[4].slice(0, 2));
  assert.equal(up.content[0].text, 'UPDATE operation completed successfully. 1 row(s) affected.');
  assert.equal(sqlite3(db, 'SELECT Region_Libelle FROM Region WHERE Region_Id = 1').trim(), 'Updated Region');
});

test('health_check, the resources and the prompts', async () => {
  const h = await call(...TOOL_EXAMPLES[5].slice(0, 2));
  assert.ok(!h.isError);
  assert.equal(h.structuredContent.status, 'healthy');
  assert.equal(h.structuredContent.database.status, 'ok');
  for (const uri of RESOURCES) {
    const r = await client.readResource({ uri });
    log.push(`read_resource(${uri}) -> ${r.contents[0].text.slice(0, 200)}`);
    assert.equal(r.contents[0].uri, uri);
    const body = JSON.parse(r.contents[0].text);
    assert.equal(typeof body, 'object');
  }
  const tables = JSON.parse((await client.readResource({ uri: 'database://tables' })).contents[0].text);
  assert.match(JSON.stringify(tables), /CategorieArticles/);
  for (const [name, args] of PROMPTS) {
    const p = await client.getPrompt({ name, arguments: args });
    const t = p.messages.map((m) => m.content.text).join('\n');
    log.push(`get_prompt(${name}, ${JSON.stringify(args)}) -> ${t.slice(0, 300)}`);
    assert.match(t, /Article/);
  }
});

test('curl: /health, /metrics (JSON for people) and the MCP endpoint', async () => {
  const health = JSON.parse(await curl(CURL_HEALTH));
  assert.equal(health.status, 'healthy');
  // The basic request figures: the calls above went through /mcp, one of them refused (CROSS APPLY).
  assert.ok(health.requests >= 10, JSON.stringify(health));
  assert.ok(health.errors >= 1);
  assert.equal(health.error_rate, health.errors / health.requests);
  const metrics = JSON.parse(await curl(CURL_METRICS));
  assert.equal(metrics.server.name, 'azsql-mcp');
  assert.ok(metrics.summary.total_requests >= 10);
  assert.equal(metrics.components.database.status, 'connected');
  assert.equal(metrics.components.token_acquisition.status, 'not_used');
  assert.equal(metrics.components.http.status, 'serving');
  assert.ok(metrics.components.http.sessions >= 1);
  const init = await curl(CURL_MCP);
  const msg = JSON.parse(init.startsWith('{') ? init : /^data: (.*)$/m.exec(init)[1]);
  assert.equal(msg.id, 'test');
  assert.equal(msg.result.serverInfo.name, 'azsql-mcp');
  assert.equal(msg.result.protocolVersion, '2024-11-05');
});
