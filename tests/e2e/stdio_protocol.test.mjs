// Protocol-level end-to-end tests over stdio with raw JSON-RPC lines: version negotiation at every
// revision, every message checked against that revision's official JSON schema, and bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { RawStdio, tempDir, makeDemoDb, sha256File, schemaValidator, rmSync } from './lib.mjs';

let dir, db;
before(async () => {
  dir = tempDir();
  db = path.join(dir, 'demo.db');
  await makeDemoDb(db);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const withSchema = { '2025-11-25': '2025-11-25', '2025-06-18': '2025-06-18', '2025-03-26': '2025-03-26' };

for (const version of ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']) {
  test(`initialize at ${version}; list results validate against the ${version} schema`, async () => {
    const s = new RawStdio({ SQLITE_PATH: db });
    try {
      const init = await s.initialize(version);
      assert.equal(init.result.protocolVersion, version);
      assert.equal(init.result.serverInfo.name, 'azsql-mcp');
      assert.ok(init.result.capabilities.tools && init.result.capabilities.resources && init.result.capabilities.prompts);
      assert.match(init.result.instructions, /SQLite/);
      const results = {
        InitializeResult: init.result,
        ListToolsResult: (await s.request(1, 'tools/list')).result,
        ListResourcesResult: (await s.request(2, 'resources/list')).result,
        ListResourceTemplatesResult: (await s.request(3, 'resources/templates/list')).result,
        ListPromptsResult: (await s.request(4, 'prompts/list')).result,
        CallToolResult: (await s.request(5, 'tools/call', { name: 'list_tables', arguments: {} })).result,
        ReadResourceResult: (await s.request(6, 'resources/read', { uri: 'database://tables' })).result,
        GetPromptResult: (await s.request(7, 'prompts/get', { name: 'sql_query_builder', arguments: { table: 'Article', operation: 'SELECT' } })).result,
      };
      assert.equal(results.ListToolsResult.tools.length, 10);
      const hasStructured = version >= '2025-06-18';
      assert.equal('structuredContent' in results.CallToolResult, hasStructured);
      assert.equal(results.ListToolsResult.tools.every((t) => ('outputSchema' in t) === hasStructured), true);
      if (withSchema[version]) {
        const validate = schemaValidator(withSchema[version]);
        for (const [def, value] of Object.entries(results)) {
          assert.equal(validate(def, value), null, `${def} does not match the ${version} schema`);
        }
        if (version >= '2025-03-26') {
          const c = (await s.request(8, 'completion/complete', { ref: { type: 'ref/prompt', name: 'sql_query_builder' }, argument: { name: 'table', value: 'Ar' } })).result;
          assert.equal(validate('CompleteResult', c), null);
        }
      }
    } finally {
      await s.close();
    }
  });
}

test('structuredContent matches each tool outputSchema (2025-11-25)', async () => {
  const s = new RawStdio({ SQLITE_PATH: db });
  try {
    await s.initialize();
    const { tools } = (await s.request(1, 'tools/list')).result;
    const { default: Ajv } = await import('ajv/dist/2020.js');
    const ajv = new Ajv({ strict: false });
    const calls = {
      list_tables: {}, describe_table: { table_name: 'Article' }, read_data: { query: 'SELECT * FROM Region', limit: 3 },
      database_info: {}, list_available_tools: {}, health_check: {}, explain_query: { query: 'SELECT * FROM Article WHERE RegionId = 1' },
      search_objects: { pattern: 'Reg%' },
    };
    for (const [name, args] of Object.entries(calls)) {
      const tool = tools.find((t) => t.name === name);
      assert.ok(tool, `tool ${name} listed`);
      const r = (await s.request(`c-${name}`, 'tools/call', { name, arguments: args })).result;
      assert.equal(r.isError, false, `${name}: ${r.content?.[0]?.text}`);
      const validate = ajv.compile(tool.outputSchema);
      assert.ok(validate(r.structuredContent), `${name} structuredContent: ${ajv.errorsText(validate.errors)}`);
      assert.ok(tool.annotations && typeof tool.annotations.readOnlyHint === 'boolean', `${name} annotations`);
      assert.ok(tool.title && tool.description.length > 20, `${name} title/description`);
    }
  } finally {
    await s.close();
  }
});

test('bad input gets JSON-RPC errors, the process survives, and the database file is unchanged', async () => {
  const before = sha256File(db);
  const s = new RawStdio({ SQLITE_PATH: db });
  try {
    s.sendLine('{this is not json');
    const parseErr = await s.waitFor((m) => m.error && m.error.code === -32700);
    assert.equal(parseErr.id, null);
    s.sendLine(JSON.stringify({ id: 1, method: 'ping' }));
    const invalid = await s.waitFor((m) => m.error && m.error.code === -32600);
    assert.equal(invalid.id, 1);
    await s.initialize();
    assert.equal((await s.request(2, 'no/such/method')).error.code, -32601);
    const unknownTool = await s.request(3, 'tools/call', { name: 'drop_everything', arguments: {} });
    assert.equal(unknownTool.error.code, -32602);
    const missing = await s.request(4, 'tools/call', { name: 'read_data', arguments: {} });
    assert.equal(missing.result.isError, true);
    assert.match(missing.result.content[0].text, /query is required/);
    const mistyped = await s.request(5, 'tools/call', { name: 'read_data', arguments: { query: 42 } });
    assert.equal(mistyped.result.isError, true);
    assert.match(mistyped.result.content[0].text, /query must be a string/);
    const badLimit = await s.request(6, 'tools/call', { name: 'read_data', arguments: { query: 'SELECT 1', limit: 'ten' } });
    assert.equal(badLimit.result.isError, true);
    const syntax = await s.request(7, 'tools/call', { name: 'read_data', arguments: { query: 'SELEC * FORM Article' } });
    assert.equal(syntax.result.isError, true);
    assert.match(syntax.result.content[0].text, /syntax|SELEC|refus|not/i);
    assert.ok((await s.request(8, 'ping')).result, 'still alive');
  } finally {
    await s.close();
  }
  assert.equal(sha256File(db), before);
});

test('stdout carries only JSON-RPC; the process exits 0 when stdin closes', async () => {
  const s = new RawStdio({ SQLITE_PATH: db, LOG_LEVEL: 'debug' });
  await s.initialize();
  await s.request(1, 'tools/call', { name: 'list_tables', arguments: {} });
  const { code } = await s.close();
  assert.equal(code, 0);
  assert.match(s.stderr, /Starting Azure SQL MCP Server/);
});

test('a slow query does not block ping or a second call (responses may come out of order)', async () => {
  const s = new RawStdio({ SQLITE_PATH: db });
  try {
    await s.initialize();
    s.send({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'read_data', arguments: {
      query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000000) SELECT count(*) AS n FROM c' } } });
    const ping = await s.request('p', 'ping');
    assert.ok(ping.result);
    const other = await s.request('q', 'tools/call', { name: 'read_data', arguments: { query: 'SELECT count(*) AS n FROM Region' } });
    assert.equal(other.result.isError, false);
    const firstIds = s.messages.map((m) => m.id);
    assert.ok(!firstIds.includes('slow'), 'slow call must still be running when the fast ones answered');
    s.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow', reason: 'test' } });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await s.request('after', 'ping')).result);
  } finally {
    await s.close();
  }
});

test('closing stdin cancels what still runs after the 10 s drain: batched and single slow queries are interrupted and the process exits', async () => {
  // MCP_QUERY_TIMEOUT far above the drain: only the transport's closed token can stop these queries.
  const s = new RawStdio({ SQLITE_PATH: db, MCP_QUERY_TIMEOUT: '600' });
  const slow = (id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'read_data', arguments: {
    query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000000) SELECT count(*) AS n FROM c' } } });
  await s.initialize('2025-03-26');  // batches exist up to 2025-03-26
  s.send([slow('b1'), { jsonrpc: '2.0', id: 'b2', method: 'ping' }]);
  s.send(slow('s1'));
  assert.ok((await s.request('p', 'ping')).result);  // both slow queries are queued or running
  const closedAt = Date.now();
  s.proc.stdin.end();
  const t = setTimeout(() => s.proc.kill('SIGKILL'), 40000);
  const { code, signal } = await s.exited;
  clearTimeout(t);
  const waited = Date.now() - closedAt;
  assert.equal(signal, null, `killed after ${waited} ms: the queries were not cancelled; stderr: ${s.stderr}`);
  assert.equal(code, 0);
  // Not before the drain time (in-flight work may finish); a hang is caught by the SIGKILL above.
  assert.ok(waited >= 9000, `exited ${waited} ms after stdin closed, before the 10 s drain`);
  // The batch answered its ping; the slow calls were cancelled through the transport's closed token,
  // which means "the reply cannot be delivered": no reply at all (shutdown's own cancellation, the
  // only other way they could end, would have answered them with a cancelled tool error).
  const batch = s.messages.find((m) => Array.isArray(m));
  assert.deepEqual(batch, [{ jsonrpc: '2.0', id: 'b2', result: {} }]);
  assert.equal(s.messages.filter((m) => !Array.isArray(m)).length, 0, JSON.stringify(s.messages));
});
