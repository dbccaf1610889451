// The tools against the SQL Server backend: the real binary speaks TDS to the Python TDS test server
// (tests/tds_server), so the T-SQL side of every tool runs end to end — seed examples as written
// (TOP, not LIMIT), typed values, writes in transactions, catalog, plan, prompts and completion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { connectStdio, tempDir, text, rmSync, SRC, startTdsServer, sqlServerEnv } from './lib.mjs';
let dir, srv, env;

before(async () => {
  dir = tempDir();
  srv = await startTdsServer(['--db', path.join(dir, 'tds.sqlite')]);
  env = sqlServerEnv(srv, { MCP_QUERY_TIMEOUT: '20' });
});
after(() => {
  srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function withClient(extra, fn) {
  const c = await connectStdio({ ...env, ...extra });
  try {
    return await fn(c.client);
  } finally {
    await c.client.close();
  }
}

test('catalog tools on SQL Server: list, describe (dbo and bracketed), search, database_info, health', async () => {
  await withClient({}, async (client) => {
    let r = await client.callTool({ name: 'list_tables', arguments: {} });
    assert.equal(r.isError, false, text(r));
    const names = r.structuredContent.tables.map((t) => `${t.schema}.${t.name}`);
    for (const t of ['dbo.Article', 'dbo.CategorieArticles', 'dbo.Region']) assert.ok(names.includes(t), names.join());
    r = await client.callTool({ name: 'describe_table', arguments: { table_name: '[dbo].[Article]' } });
    assert.equal(r.isError, false, text(r));
    const id = r.structuredContent.columns.find((c) => c.name === 'Article_Id');
    assert.equal(id.identity, true);
    assert.deepEqual(r.structuredContent.primary_key, ['Article_Id']);
    assert.ok(r.structuredContent.foreign_keys.some((f) => f.ref_table === 'Region'));
    r = await client.callTool({ name: 'describe_table', arguments: { table_name: 'dbo.Artcle' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /did you mean .*Article/);
    r = await client.callTool({ name: 'search_objects', arguments: { pattern: 'Reg%' } });
    assert.equal(r.isError, false, text(r));
    assert.ok(r.structuredContent.names.table.includes('Region'), JSON.stringify(r.structuredContent));
    r = await client.callTool({ name: 'database_info', arguments: {} });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.dialect, 'tsql');
    assert.match(text(r), /TOP \(n\)/);
    r = await client.callTool({ name: 'health_check', arguments: {} });
    assert.equal(r.structuredContent.status, 'healthy', text(r));
  });
});

test('read_data on SQL Server: the seed example with TOP, typed values per PRODUCT.md, limits', async () => {
  await withClient({}, async (client) => {
    let r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT TOP 10 * FROM Article WHERE RegionId = 1', limit: 50 } });
    assert.equal(r.isError, false, text(r));
    assert.ok(r.structuredContent.row_count > 0 && r.structuredContent.row_count <= 10);
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM dbo.types_demo ORDER BY id' } });
    assert.equal(r.isError, false, text(r));
    const cols = r.structuredContent.columns.map((c) => c.name);
    const row = Object.fromEntries(cols.map((c, i) => [c, r.structuredContent.rows[1][i]]));
    const expected = JSON.parse(readFileSync(path.join(SRC, 'tests/tds_server/types_demo.json'), 'utf8')).rows[1];
    assert.equal(row.c_bigint, expected.c_bigint);           // beyond 2^53: a string
    assert.equal(row.c_int, expected.c_int);                 // a number
    assert.equal(row.c_bit, false);                          // bit → boolean
    assert.equal(row.c_decimal, expected.c_decimal);         // exact decimal string
    assert.equal(row.c_money, expected.c_money);
    assert.equal(row.c_varbinary, Buffer.from('deadbeef', 'hex').toString('base64'));
    assert.equal(row.c_guid.toLowerCase(), expected.c_guid.toLowerCase());
    assert.match(row.c_datetime2, /^0001-01-01T00:00:00/);
    assert.equal(row.c_nvarchar, expected.c_nvarchar);
    assert.equal(r.structuredContent.rows[0][cols.indexOf('c_bigint')], null);
    // 100,000 rows without a limit: the default limit stops the stream early and says so.
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM big_table' } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.row_count, 100);
    assert.equal(r.structuredContent.truncated, true);
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT COUNT(*) AS n FROM big_table' } });
    assert.equal(r.structuredContent.rows[0][0], 100000, 'the connection is usable after the early stop');
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT Region_Libelle FROM Region WHERE Region_Id = @id', parameters: { id: 1 } } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.row_count, 1);
    for (const query of ['DELETE FROM Region WHERE Region_Id = 1', 'EXEC sp_who', "SELECT * INTO x FROM Region", 'WAITFOR DELAY \'00:00:05\'']) {
      r = await client.callTool({ name: 'read_data', arguments: { query } });
      assert.equal(r.isError, true, query);
      assert.equal(r.structuredContent.error.kind, 'refused', query);
    }
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM NoSuchTable' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /SQL Server error 208/);
  });
});

test('writes on SQL Server: seed insert and update, table + rows with identity keys, max_rows rollback', async () => {
  await withClient({}, async (client) => {
    let r = await client.callTool({ name: 'insert_data', arguments: { sql: "INSERT INTO Region (Region_Libelle) VALUES ('New Region')" } });
    assert.equal(r.isError, false, text(r));
    assert.match(text(r), /1 row\(s\) inserted/);
    const newId = r.structuredContent.last_insert_id;  // SCOPE_IDENTITY() of the same batch
    assert.equal(typeof newId, 'number', JSON.stringify(r.structuredContent));
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT Region_Libelle FROM Region WHERE Region_Id = @id', parameters: { id: newId } } });
    assert.deepEqual(r.structuredContent.rows, [['New Region']]);
    r = await client.callTool({ name: 'update_data', arguments: { sql: "UPDATE Region SET Region_Libelle = 'Updated Region' WHERE Region_Id = 1" } });
    assert.equal(r.isError, false, text(r));
    assert.equal(text(r), 'UPDATE operation completed successfully. 1 row(s) affected.');
    r = await client.callTool({ name: 'insert_data', arguments: { table: 'dbo.Region', rows: [{ Region_Libelle: 'TDS-1' }, { Region_Libelle: 'TDS-2' }] } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.rows_affected, 2);
    assert.equal(r.structuredContent.generated_keys.length, 2);
    assert.equal(r.structuredContent.generated_keys[1], r.structuredContent.generated_keys[0] + 1);
    assert.ok(r.structuredContent.generated_keys[0] > newId);
    r = await client.callTool({ name: 'read_data', arguments: { query: "SELECT COUNT(*) FROM Region WHERE Region_Libelle LIKE 'TDS-%'" } });
    assert.equal(r.structuredContent.rows[0][0], 2);
    r = await client.callTool({ name: 'update_data', arguments: { sql: 'UPDATE Article SET Stock = Stock + 1 WHERE Stock >= 0', max_rows: 2 } });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.committed, false);
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT COUNT(*) FROM Article WHERE Stock < 0' } });
    assert.equal(r.isError, false);
    r = await client.callTool({ name: 'update_data', arguments: { sql:
      'MERGE INTO Region AS t USING Region AS s ON t.Region_Id = s.Region_Id WHEN MATCHED THEN UPDATE SET Region_Libelle = s.Region_Libelle;' } });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.error.rule, 'merge_not_allowed');
    assert.match(text(r), /allow_merge: true/);
    r = await client.callTool({ name: 'insert_data', arguments: { table: 'Region', rows: [{ Region_Libelle: 'Dup' }, { Region_Libelle: 'Dup' }] } });
    assert.equal(r.isError, true, 'unique constraint');
    assert.match(text(r), /2627|UNIQUE|duplicate/i);
    r = await client.callTool({ name: 'read_data', arguments: { query: "SELECT COUNT(*) FROM Region WHERE Region_Libelle = 'Dup'" } });
    assert.equal(r.structuredContent.rows[0][0], 0, 'the first row was rolled back with the second');
  });
});

test('explain, prompts, resources and completion on SQL Server', async () => {
  await withClient({}, async (client) => {
    let r = await client.callTool({ name: 'explain_query', arguments: { query: 'SELECT * FROM Article WHERE RegionId = 1' } });
    assert.equal(r.isError, false, text(r));
    assert.ok(r.structuredContent.plan.length > 0);
    let p = await client.getPrompt({ name: 'sql_query_builder', arguments: { table: 'dbo.Article', operation: 'SELECT' } });
    assert.match(p.messages[0].content.text, /TOP \(n\)/);
    assert.match(p.messages[0].content.text, /Tarif/);
    p = await client.getPrompt({ name: 'database_troubleshooting', arguments: {} });
    assert.match(p.messages[0].content.text, /round trip/);
    const t = JSON.parse((await client.readResource({ uri: 'database://tables/dbo.Region' })).contents[0].text);
    assert.equal(t.table.name, 'Region');
    const c = await client.complete({ ref: { type: 'ref/prompt', name: 'sql_query_builder' }, argument: { name: 'table', value: 'ar' } });
    assert.ok(c.completion.values.includes('Article'), JSON.stringify(c.completion));
  });
});

test('the database goes away: health_check says unhealthy, tools fail with a usable error, nothing leaks, the server lives on', async () => {
  const own = await startTdsServer(['--db', path.join(dir, 'gone.sqlite')]);
  const c = await connectStdio({ ...env, AZURE_SQL_SERVER: `127.0.0.1,${own.port}`, AZURE_SQL_CA_FILE: own.cert,
    AZURE_SQL_CONNECTION_TIMEOUT: '3', MCP_QUERY_TIMEOUT: '5' });
  try {
    let r = await c.client.callTool({ name: 'health_check', arguments: {} });
    assert.equal(r.structuredContent.status, 'healthy', text(r));
    own.stop();
    await new Promise((res) => own.proc.once('exit', res));
    r = await c.client.callTool({ name: 'health_check', arguments: {} });
    assert.equal(r.isError, false, 'the check itself worked');
    assert.equal(r.structuredContent.status, 'unhealthy', text(r));
    assert.equal(r.structuredContent.database.status, 'error');
    for (const [name, args] of [['read_data', { query: 'SELECT 1' }], ['list_tables', {}]]) {
      r = await c.client.callTool({ name, arguments: args });
      assert.equal(r.isError, true, name);
      assert.match(text(r), /failed/, name);
      assert.ok(!text(r).includes('Passw0rd!'), 'no password in errors');
    }
    const status = JSON.parse((await c.client.readResource({ uri: 'database://status' })).contents[0].text);
    assert.equal(status.status, 'disconnected');
    assert.ok(!JSON.stringify(status).includes('Passw0rd!'));
    assert.ok(await c.client.ping(), 'the server still answers');
  } finally {
    await c.client.close();
    if (own.proc.exitCode === null) own.proc.kill('SIGTERM');
  }
});
