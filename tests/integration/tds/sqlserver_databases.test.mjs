// Several databases behind one azsql-mcp (AZURE_SQL_DATABASES) against the Python TDS test server
// serving two databases from separate SQLite files (--extra-db): the optional `database` argument,
// one login (and pool) per database, database-named resource URIs and prompts, and a clear error for
// a database outside the allow-list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, connectStdio, startTdsServer, sqlServerEnv, sqlite3 } from '../../e2e/lib.mjs';

const text = (r) => r.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

let server;
before(async () => { server = await startTdsServer(['--extra-db', 'sales']); });
after(() => server?.stop());

async function withClient(extra, fn) {
  const c = await connectStdio(sqlServerEnv(server, extra));
  try { await fn(c.client, c); } finally { await c.client.close(); }
}

test('each database is its own login; `database` picks it, the default is AZURE_SQL_DATABASE', async () => {
  await withClient({ AZURE_SQL_DATABASES: 'demo,sales' }, async (client) => {
    const { tools } = await client.listTools();
    for (const t of tools) assert.ok(t.inputSchema.properties.database, `${t.name} has database`);
    assert.match(tools.find((t) => t.name === 'read_data').inputSchema.properties.database.description, /demo \(default\), sales/);

    let r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT DB_NAME() AS db' } });
    assert.equal(r.structuredContent.rows[0][0], 'demo');
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT DB_NAME() AS db', database: 'sales' } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.rows[0][0], 'sales');
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT DB_NAME() AS db', database: 'SALES' } });
    assert.equal(r.structuredContent.rows[0][0], 'sales', 'names compare case-insensitively');

    // A write to one database is not seen in the other (separate files behind separate logins).
    r = await client.callTool({ name: 'insert_data', arguments: { database: 'sales', sql: "INSERT INTO Region (Region_Libelle) VALUES (N'Only in sales')" } });
    assert.equal(r.isError, false, text(r));
    const count = async (database) => {
      const q = await client.callTool({ name: 'read_data', arguments: {
        query: "SELECT COUNT(*) AS n FROM Region WHERE Region_Libelle = N'Only in sales'", ...(database ? { database } : {}) } });
      return q.structuredContent.rows[0][0];
    };
    assert.equal(await count('sales'), 1);
    assert.equal(await count('demo'), 0);
    assert.equal(await count(undefined), 0);

    // Catalog and insight tools follow the argument too.
    r = await client.callTool({ name: 'database_info', arguments: { database: 'sales' } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.database, 'sales');
    r = await client.callTool({ name: 'table_space', arguments: { database: 'sales' } });
    assert.equal(r.structuredContent.tables.find((t) => t.table === 'Region').rows, 6);

    // Outside the allow-list: a clear error naming the list.
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT 1 AS one', database: 'master' } });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.error.kind, 'invalid_input');
    assert.match(text(r), /database 'master' is not in the allow-list \(AZURE_SQL_DATABASES\): demo, sales/);
  });
});

test('resources and prompts name the database', async () => {
  await withClient({ AZURE_SQL_DATABASES: 'sales,demo', AZURE_SQL_DATABASE: 'demo' }, async (client) => {
    const { resources } = await client.listResources();
    const uris = resources.map((x) => x.uri);
    for (const u of ['database://schema', 'database://demo/schema', 'database://sales/tables', 'database://sales/status']) {
      assert.ok(uris.includes(u), u);
    }
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'database://{database}/tables/{table}'));

    const read = async (uri) => JSON.parse((await client.readResource({ uri })).contents[0].text);
    const rc = (t) => t.tables.find((x) => x.name === 'Region').row_count;
    const before = { sales: rc(await read('database://sales/tables')), demo: rc(await read('database://tables')) };
    await client.callTool({ name: 'insert_data', arguments: { database: 'sales', sql: "INSERT INTO Region (Region_Libelle) VALUES (N'Sales region 2')" } });
    assert.equal(rc(await read('database://sales/tables')), before.sales + 1, 'database://sales/tables sees the new row');
    assert.equal(rc(await read('database://tables')), before.demo, 'database://tables is the default (demo)');
    assert.equal(rc(await read('database://demo/tables')), before.demo);
    const one = await client.readResource({ uri: 'database://sales/tables/Region' });
    assert.equal(one.contents[0].uri, 'database://sales/tables/Region');
    assert.equal(JSON.parse(one.contents[0].text).table.name, 'Region');

    const { prompts } = await client.listPrompts();
    assert.ok(prompts.every((p) => p.arguments.some((a) => a.name === 'database' && !a.required)));
    const p = await client.getPrompt({ name: 'database_troubleshooting', arguments: { database: 'sales', issue: 'slow' } });
    assert.match(p.messages[0].content.text, /^Database: sales/);
    assert.match(p.messages[0].content.text, /database sales/);
    await assert.rejects(client.getPrompt({ name: 'database_troubleshooting', arguments: { database: 'nope' } }),
      /not in the allow-list/);
  });
});

test('completion: {database} from the allow-list, {table} against the database the context names', async () => {
  // A table only the sales database has (created in its SQLite file behind the TDS test server).
  sqlite3(server.dbs.sales, 'CREATE TABLE IF NOT EXISTS SalesOnly (id INTEGER PRIMARY KEY)');
  await withClient({ AZURE_SQL_DATABASES: 'demo,sales' }, async (client) => {
    const ref = { type: 'ref/resource', uri: 'database://{database}/tables/{table}' };
    const values = async (argument, context) =>
      (await client.complete({ ref, argument, ...(context ? { context: { arguments: context } } : {}) })).completion.values;
    assert.deepEqual(await values({ name: 'database', value: '' }), ['demo', 'sales']);
    assert.deepEqual(await values({ name: 'database', value: 'SA' }), ['sales'], 'case-insensitive prefix');
    assert.deepEqual(await values({ name: 'database', value: 'x' }), []);
    const sales = await values({ name: 'table', value: 'SalesO' }, { database: 'sales' });
    assert.equal(sales.length, 1, JSON.stringify(sales));
    assert.match(sales[0], /SalesOnly$/);
    assert.deepEqual(await values({ name: 'table', value: 'SalesO' }, { database: 'demo' }), []);
    assert.deepEqual(await values({ name: 'table', value: 'SalesO' }), [], 'no context: the default database (demo)');
    assert.ok((await values({ name: 'table', value: 'Reg' }, { database: 'sales' })).some((v) => /Region$/.test(v)));
    // Prompts' database argument completes the same way; their table argument follows the context too.
    const p = await client.complete({ ref: { type: 'ref/prompt', name: 'sql_query_builder' }, argument: { name: 'database', value: 'd' } });
    assert.deepEqual(p.completion.values, ['demo']);
    const pt = await client.complete({ ref: { type: 'ref/prompt', name: 'sql_query_builder' }, argument: { name: 'table', value: 'SalesO' },
      context: { arguments: { database: 'sales' } } });
    assert.equal(pt.completion.values.length, 1);
  });
});

test('a database the server does not have fails at start-up, naming it', async () => {
  const r = spawnSync(BIN, ['--transport', 'stdio'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', ...sqlServerEnv(server, { AZURE_SQL_DATABASES: 'demo,missingdb' }) },
    input: '', encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /database 'missingdb' \(AZURE_SQL_DATABASES\): .*4060/);
});

test('one database: no `database` argument is offered', async () => {
  await withClient({}, async (client) => {
    const { tools } = await client.listTools();
    assert.ok(tools.every((t) => !t.inputSchema.properties?.database));
  });
});
