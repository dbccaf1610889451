// Streamable HTTP through the official clients: the MCP TypeScript SDK's
// StreamableHTTPClientTransport and the MCP Inspector CLI drive the real binary on a free port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { text, tempDir, rmSync } from './lib.mjs';
import { demoDbFactory, startHttp, connectSdk, post, NODE, INSPECTOR_DIR } from './http_lib.mjs';

const run = promisify(execFile);
let dbs;
before(async () => { dbs = await demoDbFactory(); });
after(() => dbs.cleanup());

const CALLS = {
  list_tables: {},
  describe_table: { table_name: 'Article' },
  read_data: { query: 'SELECT * FROM Region WHERE Region_Id = 1' },
  insert_data: { sql: "INSERT INTO Region (Region_Libelle) VALUES ('Over HTTP')" },
  update_data: { sql: "UPDATE Region SET Region_Libelle = 'Updated over HTTP' WHERE Region_Libelle = 'Over HTTP'" },
  database_info: {},
  list_available_tools: {},
  health_check: {},
  explain_query: { query: 'SELECT * FROM Article WHERE RegionId = 1' },
  search_objects: { pattern: 'Reg%' },
};

test('SDK client: initialize, every tool, resources, prompts, completion over SSE responses', async () => {
  const auditDir = tempDir('azsql-audit-');
  const auditLog = path.join(auditDir, 'audit.jsonl');
  const srv = await startHttp({ SQLITE_PATH: dbs.fresh(), MCP_AUDIT_LOG: auditLog });
  try {
    const { client, transport } = await connectSdk(srv.url);
    assert.ok(transport.sessionId && /^[0-9a-f]{32}$/.test(transport.sessionId), 'session id from RAND_bytes');
    const sessionId = transport.sessionId;
    assert.equal(client.getServerVersion().name, 'azsql-mcp');
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(CALLS).sort());
    for (const [name, args] of Object.entries(CALLS)) {
      const r = await client.callTool({ name, arguments: args });
      assert.equal(r.isError, false, `${name}: ${text(r)}`);
      assert.ok(r.structuredContent, `${name} structuredContent`);
    }
    const rows = await client.callTool({ name: 'read_data', arguments: { query: "SELECT Region_Libelle FROM Region WHERE Region_Libelle = 'Updated over HTTP'" } });
    assert.equal(rows.structuredContent.row_count, 1, 'the update is visible');

    const { resources } = await client.listResources();
    assert.ok(resources.length >= 3);
    for (const r of resources) {
      const c = await client.readResource({ uri: r.uri });
      assert.ok(c.contents[0].text.length > 0, r.uri);
    }
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'database://tables/{table}'));
    const one = await client.readResource({ uri: 'database://tables/Article' });
    assert.match(one.contents[0].text, /Article/);

    const { prompts } = await client.listPrompts();
    assert.equal(prompts.length, 4);
    const p = await client.getPrompt({ name: 'sql_query_builder', arguments: { table: 'Article', operation: 'SELECT' } });
    assert.ok(p.messages.length > 0);
    const c = await client.complete({ ref: { type: 'ref/prompt', name: 'sql_query_builder' }, argument: { name: 'table', value: 'Ar' } });
    assert.ok(c.completion.values.includes('Article'));
    assert.deepEqual(await client.ping(), {});
    await client.close();
    // The audit log over HTTP: exactly one line per tool call (10 tools + the read_data check above),
    // one per resources/read and one per prompts/get, in order, each with the session.
    const lines = readFileSync(auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const calls = lines.filter((l) => l.tool);
    assert.equal(calls.length, Object.keys(CALLS).length + 1);
    assert.deepEqual(calls.slice(0, Object.keys(CALLS).length).map((l) => l.tool), Object.keys(CALLS));
    const reads = lines.filter((l) => l.method === 'resources/read').map((l) => l.resource);
    assert.deepEqual(reads, [...resources.map((r) => r.uri), 'database://tables/Article']);
    const got = lines.filter((l) => l.method === 'prompts/get');
    assert.deepEqual(got.map((l) => [l.prompt, l.outcome]), [['sql_query_builder', 'ok']]);
    assert.equal(lines.length, calls.length + reads.length + got.length, 'nothing else (lists, completion, ping) is audited');
    for (const l of lines) assert.equal(l.session, sessionId);
  } finally {
    const r = await srv.stop();
    assert.equal(r.code, 0, 'graceful exit on SIGTERM');
    rmSync(auditDir, { recursive: true, force: true });
  }
});

test('SDK client: resources/updated arrives on the GET stream; DELETE ends the session (then 404)', async () => {
  const srv = await startHttp({ SQLITE_PATH: dbs.fresh() });
  try {
    const { client, transport } = await connectSdk(srv.url);
    const updates = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { updates.push(n.params.uri); });
    await client.setLoggingLevel('debug');
    await client.subscribeResource({ uri: 'database://tables' });
    // Give the SDK's standalone GET stream a moment to open (it starts after notifications/initialized).
    await new Promise((r) => setTimeout(r, 300));
    const r = await client.callTool({ name: 'insert_data', arguments: { sql: "INSERT INTO Region (Region_Libelle) VALUES ('Notify')" } });
    assert.equal(r.isError, false, text(r));
    for (let i = 0; i < 100 && !updates.length; i++) await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(updates, ['database://tables']);

    const sid = transport.sessionId;
    await transport.terminateSession();
    const after = await post(srv.url, { jsonrpc: '2.0', id: 9, method: 'ping' }, { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' });
    assert.equal(after.status, 404);
    assert.equal(after.json.error.code, -32001);
    await client.close();
  } finally {
    await srv.stop();
  }
});

test('SDK client with MCP_JSON_RESPONSE: plain application/json answers', async () => {
  const srv = await startHttp({ SQLITE_PATH: dbs.master, MCP_JSON_RESPONSE: 'true' });
  try {
    const raw = await post(srv.url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get('content-type'), /^application\/json/);
    assert.equal(raw.json.result.protocolVersion, '2025-06-18');
    const { client } = await connectSdk(srv.url);
    const r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT count(*) AS n FROM Article' } });
    assert.equal(r.isError, false, text(r));
    await client.close();
  } finally {
    await srv.stop();
  }
});

test('SDK client in stateless mode (MCP_STATELESS_HTTP): no session id, GET and DELETE are 405', async () => {
  const srv = await startHttp({ SQLITE_PATH: dbs.master, MCP_STATELESS_HTTP: 'true' });
  try {
    const { client, transport } = await connectSdk(srv.url);
    assert.equal(transport.sessionId, undefined);
    const r = await client.callTool({ name: 'list_tables', arguments: {} });
    assert.equal(r.isError, false, text(r));
    assert.ok((await client.listTools()).tools.length === 10);
    await client.close();
    const get = await fetch(srv.url, { headers: { Accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    const del = await fetch(srv.url, { method: 'DELETE' });
    assert.equal(del.status, 405);
    // Without an initialize, a request is served at the header's protocol version.
    const tl = await post(srv.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'MCP-Protocol-Version': '2025-06-18' });
    assert.equal(tl.status, 200);
    assert.ok(tl.json.result.tools[0].outputSchema, '2025-06-18 shape');
  } finally {
    await srv.stop();
  }
});

test('modern-era (2026-07-28) request over HTTP: served statelessly without a session', async () => {
  const srv = await startHttp({ SQLITE_PATH: dbs.master });
  try {
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
    const r = await post(srv.url, { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta } }, { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'server/discover' });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.result.supportedVersions.includes('2026-07-28'));
    assert.equal(r.headers.get('mcp-session-id'), null);
    const call = await post(srv.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_tables', arguments: {}, _meta: meta } },
      { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'list_tables' });
    assert.equal(call.status, 200, call.text);
    assert.equal(call.json.result.isError, false);
  } finally {
    await srv.stop();
  }
});

async function inspector(url, ...args) {
  const { stdout } = await run(NODE, ['cli.js', '--cli', url, '--transport', 'http', ...args], { cwd: INSPECTOR_DIR, timeout: 60000 });
  return JSON.parse(stdout.slice(stdout.indexOf('{')));
}

test('MCP Inspector CLI over HTTP: tools, resources, prompts', async () => {
  const srv = await startHttp({ SQLITE_PATH: dbs.fresh() });
  try {
    const tl = await inspector(srv.url, '--method', 'tools/list');
    assert.equal(tl.tools.length, 10);
    const call = await inspector(srv.url, '--method', 'tools/call', '--tool-name', 'read_data', '--tool-arg', 'query=SELECT Region_Libelle FROM Region WHERE Region_Id = 1');
    assert.equal(call.isError, false, JSON.stringify(call));
    assert.equal(call.structuredContent.row_count, 1);
    const res = await inspector(srv.url, '--method', 'resources/read', '--uri', 'database://schema');
    assert.match(res.contents[0].text, /Region/);
    const pr = await inspector(srv.url, '--method', 'prompts/get', '--prompt-name', 'analyze_performance', '--prompt-args', 'query=SELECT * FROM Article');
    assert.ok(pr.messages.length > 0);
  } finally {
    await srv.stop();
  }
});

test('2025-03-26 JSON-RPC batches over HTTP: an array of responses; notifications-only batch → 202', async () => {
  const { openSession } = await import('./http_lib.mjs');
  const srv = await startHttp({ SQLITE_PATH: dbs.master });
  try {
    const sid = await openSession(srv.url, '2025-03-26');
    const h = { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-03-26' };
    const r = await post(srv.url, [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_tables', arguments: {} } },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99 } },
    ], h);
    assert.equal(r.status, 200);
    const batch = r.messages ? r.messages.find(Array.isArray) : r.json;
    assert.ok(Array.isArray(batch), r.text);
    assert.deepEqual(batch.map((m) => m.id).sort(), [1, 2]);
    assert.equal(batch.find((m) => m.id === 2).result.isError, false);
    const n = await post(srv.url, [{ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 98 } }], h);
    assert.equal(n.status, 202);
  } finally {
    await srv.stop();
  }
});
