// Every tool, resource, template, prompt and completion through the real binary over stdio with the
// official SDK client (which also validates each structuredContent against the tool's outputSchema),
// plus cancellation, subscriptions, read-only mode, refused writes and a bounded 100,000-row read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectStdio, tempDir, makeDemoDb, sha256File, sqlite3, text, peakRssKiB, rmSync, copyFileSync } from './lib.mjs';
import { assertRoundTrip } from './text_table.mjs';

let dir, pristine;
before(async () => {
  dir = tempDir();
  pristine = path.join(dir, 'pristine.db');
  await makeDemoDb(pristine);
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A private copy of the demo database for one test. */
function freshDb() {
  const p = path.join(dir, `db-${++n}.db`);
  copyFileSync(pristine, p);
  return p;
}

async function withClient(env, fn) {
  const c = await connectStdio(env);
  try {
    return await fn(c.client, c);
  } finally {
    await c.client.close();
  }
}

test('lists the ten tools and runs each one with the seed usage examples', async () => {
  const db = freshDb();
  await withClient({ SQLITE_PATH: db }, async (client) => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['database_info', 'describe_table', 'explain_query', 'health_check',
      'insert_data', 'list_available_tools', 'list_tables', 'read_data', 'search_objects', 'update_data']);
    for (const t of tools) {
      assert.ok(t.title && t.description.length > 40 && t.outputSchema && t.annotations, t.name);
      assert.equal(t.annotations.readOnlyHint, !['insert_data', 'update_data'].includes(t.name), t.name);
    }

    let r = await client.callTool({ name: 'list_tables', arguments: {} });
    assert.equal(r.isError, false);
    assert.match(text(r), /^Available tables \(3\): .*Article.*CategorieArticles.*Region/);
    assert.equal(r.structuredContent.count, 3);

    r = await client.callTool({ name: 'describe_table', arguments: { table_name: 'Article' } });
    assert.equal(r.isError, false);
    assert.ok(r.structuredContent.columns.some((c) => c.name === 'Tarif'));
    assert.deepEqual(r.structuredContent.primary_key, ['Article_Id']);

    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM Article WHERE RegionId = 1 LIMIT 10', limit: 50 } });
    assert.equal(r.isError, false, text(r));
    assert.ok(r.structuredContent.row_count > 0 && r.structuredContent.row_count <= 10);
    const regionIdx = r.structuredContent.columns.findIndex((c) => c.name === 'RegionId');
    assert.ok(r.structuredContent.rows.every((row) => row[regionIdx] === 1));
    assert.equal(r.structuredContent.truncated, false);

    r = await client.callTool({ name: 'insert_data', arguments: { sql: "INSERT INTO Region (Region_Libelle) VALUES ('New Region')" } });
    assert.equal(r.isError, false, text(r));
    assert.match(text(r), /INSERT operation completed successfully\. 1 row\(s\) inserted\./);
    assert.equal(sqlite3(db, "SELECT count(*) FROM Region WHERE Region_Libelle = 'New Region'").trim(), '1');
    assert.equal(String(r.structuredContent.last_insert_id), sqlite3(db, "SELECT Region_Id FROM Region WHERE Region_Libelle = 'New Region'").trim());

    r = await client.callTool({ name: 'update_data', arguments: { sql: "UPDATE Region SET Region_Libelle = 'Updated Region' WHERE Region_Id = 1" } });
    assert.equal(r.isError, false, text(r));
    assert.equal(text(r), 'UPDATE operation completed successfully. 1 row(s) affected.');
    assert.equal(sqlite3(db, 'SELECT Region_Libelle FROM Region WHERE Region_Id = 1').trim(), 'Updated Region');

    r = await client.callTool({ name: 'insert_data', arguments: { table: 'Region', rows: [{ Region_Libelle: 'Ouest' }, { Region_Libelle: 'Est-2' }] } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.rows_affected, 2);
    assert.equal(r.structuredContent.generated_keys.length, 2);

    r = await client.callTool({ name: 'database_info', arguments: {} });
    assert.equal(r.isError, false);
    assert.equal(r.structuredContent.dialect, 'sqlite');
    assert.equal(r.structuredContent.read_only_mode, false);

    r = await client.callTool({ name: 'list_available_tools', arguments: {} });
    assert.equal(r.structuredContent.count, 10);
    assert.match(text(r), /- read_data: /);

    r = await client.callTool({ name: 'health_check', arguments: {} });
    assert.equal(r.structuredContent.status, 'healthy');
    assert.equal(typeof r.structuredContent.database.latency_ms, 'number');
    assert.ok(r.structuredContent.recent.calls >= 8);

    r = await client.callTool({ name: 'explain_query', arguments: { query: 'SELECT * FROM Article WHERE RegionId = 1' } });
    assert.equal(r.isError, false, text(r));
    assert.match(text(r), /IX_Article_RegionId/);

    r = await client.callTool({ name: 'search_objects', arguments: { pattern: 'Reg%' } });
    assert.equal(r.isError, false);
    assert.deepEqual(r.structuredContent.names.table, ['Region']);
    const full = await client.callTool({ name: 'search_objects', arguments: { pattern: 'Reg%', detail_level: 'full' } });
    assert.ok(JSON.stringify(full.structuredContent).length > JSON.stringify(r.structuredContent).length);
  });
});

test('reads every resource and the table template; unknown ones are errors', async () => {
  await withClient({ SQLITE_PATH: freshDb() }, async (client) => {
    const { resources } = await client.listResources();
    assert.deepEqual(resources.map((r) => r.uri).sort(), ['database://schema', 'database://status', 'database://tables']);
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate), ['database://tables/{table}']);
    for (const uri of ['database://schema', 'database://status', 'database://tables', 'database://tables/Article']) {
      const r = await client.readResource({ uri });
      assert.equal(r.contents[0].uri, uri);
      assert.equal(r.contents[0].mimeType, 'application/json');
      JSON.parse(r.contents[0].text);
    }
    const schema = JSON.parse((await client.readResource({ uri: 'database://schema' })).contents[0].text);
    assert.deepEqual(schema.tables.map((t) => t.table.name).sort(), ['Article', 'CategorieArticles', 'Region', 'v_ArticleDetails']);
    const article = JSON.parse((await client.readResource({ uri: 'database://tables/Article' })).contents[0].text);
    assert.ok(article.foreign_keys.some((f) => f.ref_table === 'Region'));
    await assert.rejects(client.readResource({ uri: 'database://tables/NoSuchTable' }), /not found|does not exist/i);
    await assert.rejects(client.readResource({ uri: 'database://nothing' }), /not found/i);
  });
});

test('gets every prompt with live facts; completes table names', async () => {
  await withClient({ SQLITE_PATH: freshDb() }, async (client) => {
    const { prompts } = await client.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name).sort(), ['analyze_performance', 'data_migration_guide', 'database_troubleshooting', 'sql_query_builder']);
    let p = await client.getPrompt({ name: 'sql_query_builder', arguments: { table: 'Article', operation: 'SELECT' } });
    assert.match(p.messages[0].content.text, /Tarif/);
    assert.match(p.messages[0].content.text, /LIMIT n/);
    p = await client.getPrompt({ name: 'analyze_performance', arguments: { query: 'SELECT * FROM Article WHERE Tarif > 500' } });
    assert.match(p.messages[0].content.text, /SCAN/);
    p = await client.getPrompt({ name: 'data_migration_guide', arguments: {} });
    const t = p.messages[0].content.text;
    assert.ok(t.indexOf('. Region') < t.indexOf('. Article'), t);
    p = await client.getPrompt({ name: 'database_troubleshooting', arguments: { issue: 'slow queries' } });
    assert.match(p.messages[0].content.text, /round trip \(SELECT 1\): [\d.]+ ms/);
    await assert.rejects(client.getPrompt({ name: 'sql_query_builder', arguments: { table: 'Nope', operation: 'SELECT' } }), /does not exist/);

    let c = await client.complete({ ref: { type: 'ref/prompt', name: 'sql_query_builder' }, argument: { name: 'table', value: 'ar' } });
    assert.deepEqual(c.completion.values, ['Article']);
    c = await client.complete({ ref: { type: 'ref/resource', uri: 'database://tables/{table}' }, argument: { name: 'table', value: '' } });
    assert.deepEqual(c.completion.values, ['Article', 'CategorieArticles', 'Region', 'v_ArticleDetails']);
    assert.equal(c.completion.total, 4);
  });
});

test('cancelling a slow read stops the query: the next call on the only pooled connection succeeds', async () => {
  await withClient({ SQLITE_PATH: freshDb(), CONNECTION_POOL_SIZE: '1', MCP_QUERY_TIMEOUT: '600' }, async (client) => {
    const ac = new AbortController();
    const slow = client.callTool({ name: 'read_data', arguments: {
      query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000000) SELECT count(*) FROM c' } },
    undefined, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    ac.abort('test cancels');
    await assert.rejects(slow, /abort|cancel/i);
    // With one pooled connection this can only answer once the cancelled statement has stopped.
    const r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT count(*) AS n FROM Region' } }, undefined, { timeout: 20000 });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.row_count, 1);
  });
});

test('a subscriber to database://tables hears about insert_data', async () => {
  await withClient({ SQLITE_PATH: freshDb() }, async (client) => {
    const updates = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { updates.push(n.params.uri); });
    await client.subscribeResource({ uri: 'database://tables' });
    await client.subscribeResource({ uri: 'database://tables/Region' });
    const r = await client.callTool({ name: 'insert_data', arguments: { sql: "INSERT INTO Region (Region_Libelle) VALUES ('Subscribed')" } });
    assert.equal(r.isError, false, text(r));
    for (let i = 0; i < 50 && updates.length < 2; i++) await new Promise((res) => setTimeout(res, 20));
    assert.ok(updates.includes('database://tables'), JSON.stringify(updates));
    assert.ok(updates.includes('database://tables/Region'), JSON.stringify(updates));
    // a read changes nothing and notifies nothing
    const before = updates.length;
    await client.callTool({ name: 'read_data', arguments: { query: 'SELECT 1' } });
    await client.unsubscribeResource({ uri: 'database://tables' });
    await client.callTool({ name: 'update_data', arguments: { sql: "UPDATE Region SET Region_Libelle = 'S2' WHERE Region_Libelle = 'Subscribed'" } });
    await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual(updates.slice(before), ['database://tables/Region']);
  });
});

test('read-only mode lists 8 tools and refuses writes; the file is unchanged', async () => {
  const db = freshDb();
  const hash = sha256File(db);
  await withClient({ SQLITE_PATH: db, MCP_READ_ONLY: 'true' }, async (client) => {
    const { tools } = await client.listTools();
    assert.equal(tools.length, 8);
    assert.ok(!tools.some((t) => t.name === 'insert_data' || t.name === 'update_data'));
    await assert.rejects(client.callTool({ name: 'insert_data', arguments: { sql: "INSERT INTO Region (Region_Libelle) VALUES ('ro')" } }),
      /read-only/);
    const r = await client.callTool({ name: 'list_available_tools', arguments: {} });
    assert.equal(r.structuredContent.count, 8);
    const info = await client.callTool({ name: 'database_info', arguments: {} });
    assert.equal(info.structuredContent.read_only_mode, true);
  });
  assert.equal(sha256File(db), hash);
});

test('writes smuggled into read_data, UPDATE without WHERE and bad SQL are tool errors; the file is byte-identical', async () => {
  const db = freshDb();
  const hash = sha256File(db);
  const attached = path.join(dir, 'attached.db');
  await withClient({ SQLITE_PATH: db }, async (client) => {
    const refused = {
      'DELETE FROM Region WHERE Region_Id = 1': /refused/i,
      "INSERT INTO Region (Region_Libelle) VALUES ('x')": /refused/i,
      'WITH x AS (SELECT 1) DELETE FROM Region WHERE Region_Id IN (SELECT * FROM x)': /refused/i,
      'SELECT 1; DELETE FROM Region': /refused/i,
      'PRAGMA foreign_keys = OFF': /refused/i,
      'PRAGMA journal_mode = DELETE': /refused/i,
      [`ATTACH DATABASE '${attached}' AS evil`]: /refused/i,
      'DROP TABLE Article': /refused/i,
    };
    for (const [query, re] of Object.entries(refused)) {
      const r = await client.callTool({ name: 'read_data', arguments: { query } });
      assert.equal(r.isError, true, query);
      assert.match(text(r), re, query);
      assert.equal(r.structuredContent.error.kind, 'refused', query);
      assert.ok(r.structuredContent.error.rule, query);
    }
    let r = await client.callTool({ name: 'update_data', arguments: { sql: 'UPDATE Region SET Region_Libelle = 1' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /WHERE/);
    r = await client.callTool({ name: 'update_data', arguments: { sql: 'DELETE FROM Article' } });
    assert.equal(r.isError, true);
    r = await client.callTool({ name: 'update_data', arguments: { sql: 'UPDATE Article SET Stock = Stock + 1 WHERE Stock >= 0', max_rows: 3 } });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.committed, false);
    assert.match(text(r), /rolled back/);
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELEC * FORM Article' } });
    assert.equal(r.isError, true);
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM Article WHERE NoSuchColumn = 1' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /SQLite error \d+: no such column: NoSuchColumn/);
    assert.equal(r.structuredContent.error.kind, 'database');
    assert.ok(!text(r).includes(db), 'no file paths in errors');
    r = await client.callTool({ name: 'insert_data', arguments: { table: 'Region', rows: [{ Nope: 1 }] } });
    assert.equal(r.isError, true);
    assert.match(text(r), /Region_Libelle/);
    r = await client.callTool({ name: 'describe_table', arguments: { table_name: 'Artcle' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /did you mean Article/);
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT 1', limit: 0 } });
    assert.equal(r.isError, true);
    assert.match(text(r), /limit must be at least 1/);
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT 1', extra: true } });
    assert.equal(r.isError, true);
    assert.match(text(r), /unknown property 'extra'/);
  });
  assert.equal(sha256File(db), hash);
});

test('a 100,000-row result is trimmed and says so; server memory stays bounded', async () => {
  const db = path.join(dir, 'big.db');
  // WAL mode, as the server opens every file (opening a rollback-journal file would switch its header to WAL).
  sqlite3(db, `PRAGMA journal_mode=WAL; CREATE TABLE big(id INTEGER PRIMARY KEY, pad TEXT);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
    INSERT INTO big SELECT x, printf('%.1000c', 'x') FROM c;`);
  assert.equal(sqlite3(db, 'SELECT count(*) FROM big').trim(), '100000');
  const hash = sha256File(db);
  await withClient({ SQLITE_PATH: db, MCP_MAX_ROW_LIMIT: '100000' }, async (client, c) => {
    // No limit: the default (100) applies.
    let r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM big' } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.row_count, 100);
    assert.equal(r.structuredContent.truncated, true);
    assert.equal(r.structuredContent.truncated_reason, 'limit');
    assert.match(text(r), /truncated: the limit of 100 rows was reached/);
    // A limit that would return ~100 MB: the 4 MiB byte budget trims it.
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM big', limit: 100000 } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.truncated, true);
    assert.equal(r.structuredContent.truncated_reason, 'max_result_bytes');
    assert.ok(r.structuredContent.row_count > 1000 && r.structuredContent.row_count < 5000, String(r.structuredContent.row_count));
    assert.match(text(r), /MCP_MAX_RESULT_BYTES/);
    assertRoundTrip(r);  // the trimmed text holds exactly the rows structuredContent holds
    const peak = peakRssKiB(c.transport.pid);
    console.log(`server VmHWM after the trimmed 100,000-row read: ${peak} KiB`);
    assert.ok(peak < 96 * 1024, `peak RSS ${peak} KiB`);
  });
  await withClient({ SQLITE_PATH: db }, async (client) => {
    // Above MCP_MAX_ROW_LIMIT (default 10000): clamped, and the result says so.
    const r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT id FROM big', limit: 100000 } });
    assert.equal(r.structuredContent.limit, 10000);
    assert.equal(r.structuredContent.row_count, 10000);
    assert.equal(r.structuredContent.truncated, true);
    assert.match(r.structuredContent.notes[0], /clamped to 10000/);
  });
  assert.equal(sha256File(db), hash);
});

test('a long read sends progress notifications when the client asks for them', async () => {
  await withClient({ SQLITE_PATH: freshDb() }, async (client) => {
    const seen = [];
    const r = await client.callTool({ name: 'read_data', arguments: {
      query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5500) SELECT x FROM c', limit: 10000 } },
    undefined, { onprogress: (p) => seen.push(p) });
    assert.equal(r.structuredContent.row_count, 5500);
    assert.deepEqual(seen.map((p) => p.progress), [1000, 2000, 3000, 4000, 5000]);
    assert.ok(seen.every((p) => p.total === 10000 && /rows/.test(p.message)));
  });
});

test('the audit log gets one line per tool call with rows, outcome and the database error number', async () => {
  const audit = path.join(dir, 'audit.jsonl');
  await withClient({ SQLITE_PATH: freshDb(), MCP_AUDIT_LOG: audit }, async (client) => {
    await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM Region', limit: 2 } });
    await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM NoSuchTable' } });
    await client.callTool({ name: 'insert_data', arguments: { sql: 'INSERT INTO Region (Region_Libelle) VALUES (?)', parameters: ['Audited'] } });
  });
  const lines = (await import('node:fs')).readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.deepEqual(lines.map((l) => [l.tool, l.outcome]), [['read_data', 'ok'], ['read_data', 'error'], ['insert_data', 'ok']]);
  assert.equal(lines[0].rows, 2);
  assert.equal(lines[0].statement, 'SELECT * FROM Region');
  assert.equal(typeof lines[1].error_number, 'number');
  assert.equal(lines[2].rows, 1);
  assert.equal(lines[2].parameters, 1);
  assert.ok(!JSON.stringify(lines).includes('Audited'), 'parameter values are never logged');
});

test('the audit log also gets one line per resources/read and prompts/get (written before the response), none for lists', async () => {
  const { readFileSync, existsSync } = await import('node:fs');
  const { createHash } = await import('node:crypto');
  const lines = (file) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const audit = path.join(dir, 'audit-reads.jsonl');
  const query = "SELECT * FROM Article WHERE Tarif > 500";
  await withClient({ SQLITE_PATH: freshDb(), MCP_AUDIT_LOG: audit }, async (client) => {
    await client.listResources();
    await client.listPrompts();
    assert.equal(existsSync(audit) ? lines(audit).length : 0, 0, 'list requests are not audited');
    const r = await client.readResource({ uri: 'database://tables/Article' });
    assert.match(r.contents[0].text, /Article/);
    assert.equal(lines(audit).length, 1, 'the line is in the file as soon as the read returns');
    await assert.rejects(client.readResource({ uri: 'database://no-such-resource' }));
    const p = await client.getPrompt({ name: 'analyze_performance', arguments: { query } });
    assert.ok(p.messages.length > 0);
    await client.getPrompt({ name: 'sql_query_builder', arguments: { table: 'Region', operation: 'SELECT' } });
  });
  const got = lines(audit);
  assert.deepEqual(got.map((l) => [l.method, l.resource ?? l.prompt, l.outcome]), [
    ['resources/read', 'database://tables/Article', 'ok'],
    ['resources/read', 'database://no-such-resource', 'error'],
    ['prompts/get', 'analyze_performance', 'ok'],
    ['prompts/get', 'sql_query_builder', 'ok'],
  ]);
  assert.equal(got[1].error_code, -32002);
  assert.equal(got[2].statement, query, 'the statement the prompt explains (it runs an estimated plan)');
  assert.deepEqual(got[3].arguments, ['table', 'operation']);
  assert.ok(!JSON.stringify(got[3]).includes('Region'), `other argument values are not logged: ${JSON.stringify(got[3])}`);
  for (const l of got) {
    assert.match(l.session, /^[0-9a-f]{32}$|^stdio/);
    assert.equal(typeof l.duration_ms, 'number');
    assert.ok(l.client?.name, JSON.stringify(l));
  }
  // Redacted: the prompt's statement as its SHA-256, as for tool calls.
  const redacted = path.join(dir, 'audit-reads-redacted.jsonl');
  await withClient({ SQLITE_PATH: freshDb(), MCP_AUDIT_LOG: redacted, MCP_AUDIT_REDACT: 'true' }, async (client) => {
    await client.getPrompt({ name: 'analyze_performance', arguments: { query } });
  });
  const [one] = lines(redacted);
  assert.equal(one.statement_sha256, createHash('sha256').update(query).digest('hex'));
  assert.ok(!readFileSync(redacted, 'utf8').includes('Tarif'), 'no statement text when redacted');
});

test('MCP_AUDIT_REDACT: the statement\'s SHA-256 instead of its text; each line is written before the response', async () => {
  const { readFileSync } = await import('node:fs');
  const { createHash } = await import('node:crypto');
  const audit = path.join(dir, 'audit-redacted.jsonl');
  const lines = () => readFileSync(audit, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const queries = ["SELECT Region_Libelle FROM Region WHERE Region_Libelle = 'Secret Plan'", 'SELECT 42 AS answer'];
  await withClient({ SQLITE_PATH: freshDb(), MCP_AUDIT_LOG: audit, MCP_AUDIT_REDACT: 'true' }, async (client) => {
    for (const [i, query] of queries.entries()) {
      const r = await client.callTool({ name: 'read_data', arguments: { query } });
      assert.equal(r.isError, false, text(r));
      // Flushed before the response was sent: the line is in the file as soon as the call returns.
      assert.equal(lines().length, i + 1);
    }
  });
  const got = lines();
  for (const [i, query] of queries.entries()) {
    assert.equal(got[i].statement_sha256, createHash('sha256').update(query).digest('hex'));
    assert.equal(got[i].statement, undefined);
  }
  assert.ok(!readFileSync(audit, 'utf8').includes('Secret Plan'), 'no statement text when redacted');
});

test('CONNECTION_POOL_SIZE=0 (a connection per request, as the seed did) serves every tool', async () => {
  await withClient({ SQLITE_PATH: freshDb(), CONNECTION_POOL_SIZE: '0' }, async (client) => {
    let r = await client.callTool({ name: 'insert_data', arguments: { table: 'Region', rows: [{ Region_Libelle: 'Per-request' }] } });
    assert.equal(r.isError, false, text(r));
    r = await client.callTool({ name: 'read_data', arguments: { query: "SELECT count(*) FROM Region WHERE Region_Libelle = 'Per-request'" } });
    assert.deepEqual(r.structuredContent.rows, [[1]]);
    r = await client.callTool({ name: 'health_check', arguments: {} });
    assert.equal(r.structuredContent.status, 'healthy');
    assert.equal(r.structuredContent.pool.max_size, 0);
    assert.equal(r.structuredContent.pool.open, 0, 'nothing stays open between requests');
    const p = await client.getPrompt({ name: 'analyze_performance', arguments: { query: 'SELECT * FROM Article WHERE RegionId = 2' } });
    assert.match(p.messages[0].content.text, /IX_Article_RegionId/);
  });
});
