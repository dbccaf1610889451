// The real azsql-mcp binary on the SQL Server backend (our TDS client) against the independent
// Python TDS test server, driven over stdio by the official MCP SDK client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { connectStdio, startTdsServer, sqlServerEnv } from '../../e2e/lib.mjs';

let server;
let info;

const text = (r) => r.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

const env = (extra = {}) => sqlServerEnv(info, extra);

async function withClient(extraEnv, fn) {
  const c = await connectStdio(env(extraEnv));
  try {
    await fn(c.client, c);
  } finally {
    await c.client.close();
  }
}

before(async () => {
  server = await startTdsServer();
  info = server;
});
after(() => server?.stop());

test('every tool returns correct results on the SQL Server backend', async () => {
  await withClient({}, async (client, c) => {
    let r = await client.callTool({ name: 'list_tables', arguments: {} });
    assert.equal(r.isError, false, text(r));
    const names = r.structuredContent.tables.map((t) => t.name);
    for (const n of ['Article', 'CategorieArticles', 'Region', 'types_demo']) assert.ok(names.includes(n), n);

    r = await client.callTool({ name: 'describe_table', arguments: { table_name: 'Article' } });
    assert.equal(r.isError, false, text(r));
    assert.ok(r.structuredContent.columns.some((col) => col.name === 'Tarif'));
    assert.deepEqual(r.structuredContent.primary_key, ['Article_Id']);
    assert.ok(r.structuredContent.foreign_keys.some((f) => f.ref_table === 'Region'));

    r = await client.callTool({ name: 'describe_table', arguments: { table_name: '[dbo].[Article]' } });
    assert.equal(r.isError, false, text(r));

    r = await client.callTool({ name: 'read_data', arguments: {
      query: 'SELECT TOP 10 * FROM Article WHERE RegionId = @region', parameters: { region: 1 }, limit: 50 } });
    assert.equal(r.isError, false, text(r));
    assert.ok(r.structuredContent.row_count > 0 && r.structuredContent.row_count <= 10);
    const regionIdx = r.structuredContent.columns.findIndex((col) => col.name === 'RegionId');
    assert.ok(r.structuredContent.rows.every((row) => row[regionIdx] === 1));

    // Limit reached → stops reading (ATTENTION) and says so.
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT id, label FROM big_table', limit: 25 } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.row_count, 25);
    assert.equal(r.structuredContent.truncated, true);

    // Typed values: bigint beyond 2^53 as strings, decimals exact, guid text, dates ISO 8601.
    r = await client.callTool({ name: 'read_data', arguments: {
      query: 'SELECT c_bigint, c_decimal, c_guid, c_datetime2, c_bit FROM types_demo WHERE id = 3' } });
    assert.equal(r.isError, false, text(r));
    const row = r.structuredContent.rows[0];
    assert.equal(String(row[0]), '9223372036854775807');
    assert.equal(row[1], '9999999999999999999999999999.9999999999');
    assert.equal(String(row[2]).toLowerCase(), '01234567-89ab-cdef-0123-456789abcdef');
    assert.match(String(row[3]), /^9999-12-31T23:59:59\.9999999/);
    assert.equal(row[4], true);

    r = await client.callTool({ name: 'insert_data', arguments: { sql: "INSERT INTO Region (Region_Libelle) VALUES (N'New Region')" } });
    assert.equal(r.isError, false, text(r));
    assert.match(text(r), /1 row\(s\) inserted/);

    r = await client.callTool({ name: 'read_data', arguments: {
      query: 'SELECT COUNT(*) AS n FROM Region WHERE Region_Libelle = @name', parameters: { name: 'New Region' } } });
    assert.equal(r.structuredContent.rows[0][0], 1);

    r = await client.callTool({ name: 'update_data', arguments: { sql: "UPDATE Region SET Region_Libelle = N'Updated Region' WHERE Region_Libelle = N'New Region'" } });
    assert.equal(r.isError, false, text(r));
    assert.match(text(r), /1 row\(s\) affected/);

    r = await client.callTool({ name: 'insert_data', arguments: { table: 'Region', rows: [{ Region_Libelle: 'Ouest' }, { Region_Libelle: 'Est-2' }] } });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.rows_affected, 2);

    r = await client.callTool({ name: 'database_info', arguments: {} });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.dialect, 'tsql');
    assert.match(JSON.stringify(r.structuredContent), /Azure SQL Database/);
    assert.doesNotMatch(JSON.stringify(r.structuredContent), /Passw0rd/);

    r = await client.callTool({ name: 'health_check', arguments: {} });
    assert.equal(r.structuredContent.status, 'healthy', text(r));

    r = await client.callTool({ name: 'explain_query', arguments: { query: 'SELECT * FROM Article WHERE RegionId = 1' } });
    assert.equal(r.isError, false, text(r));
    assert.ok(r.structuredContent.plan.length > 0);

    r = await client.callTool({ name: 'search_objects', arguments: { pattern: 'Reg%' } });
    assert.equal(r.isError, false, text(r));
    assert.match(JSON.stringify(r.structuredContent), /Region/);

    // Server errors come back as tool errors with the number.
    r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM no_such_table' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /208/);
    assert.doesNotMatch(c.stderr, /Passw0rd/);
  });
});

test('resources and prompts on the SQL Server backend', async () => {
  await withClient({}, async (client) => {
    for (const uri of ['database://schema', 'database://status', 'database://tables', 'database://tables/Article']) {
      const r = await client.readResource({ uri });
      assert.equal(r.contents[0].uri, uri);
      JSON.parse(r.contents[0].text);
    }
    const article = JSON.parse((await client.readResource({ uri: 'database://tables/Article' })).contents[0].text);
    assert.ok(article.foreign_keys.some((f) => f.ref_table === 'Region'));
    const { prompts } = await client.listPrompts();
    for (const p of prompts) {
      const args = p.name === 'sql_query_builder' ? { table: 'Article', operation: 'SELECT' }
        : p.name === 'analyze_performance' ? { query: 'SELECT * FROM Article' } : {};
      const g = await client.getPrompt({ name: p.name, arguments: args });
      assert.ok(g.messages.length > 0, p.name);
    }
  });
});

test('read-only mode on SQL Server: writes refused, reads work', async () => {
  await withClient({ MCP_READ_ONLY: 'true' }, async (client) => {
    const r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT COUNT(*) FROM Region' } });
    assert.equal(r.isError, false, text(r));
    const w = await client.callTool({ name: 'insert_data', arguments: { sql: "INSERT INTO Region (Region_Libelle) VALUES (N'ro')" } })
      .then((x) => x, (e) => ({ isError: true, content: [{ type: 'text', text: String(e) }] }));
    assert.equal(w.isError, true);
    const info2 = await client.callTool({ name: 'database_info', arguments: {} });
    // The demo login is dbo (db_owner): more than a read-only server needs.
    assert.match(JSON.stringify(info2.structuredContent), /db_owner while read-only mode is on/);
  });
});

test('ADO.NET connection string with Encrypt=strict (TDS 8.0) and the CA file', async () => {
  const cs = `Server=tcp:127.0.0.1,${info.port};Initial Catalog=demo;User ID=sa;Password='Passw0rd!';Encrypt=strict;` +
    'TrustServerCertificate=False;Connection Timeout=15;MultipleActiveResultSets=False';
  const c = await connectStdio({ AZURE_SQL_CONNECTION_STRING: cs, AZURE_SQL_CA_FILE: info.cert });
  try {
    const r = await c.client.callTool({ name: 'read_data', arguments: { query: "SELECT CONNECTIONPROPERTY('tls_mode') AS mode" } });
    assert.equal(r.isError, false, text(r));
    assert.match(String(r.structuredContent.rows[0][0]), /^strict/);
  } finally {
    await c.client.close();
  }
});

test('Entra access token (FEDAUTH) through the binary, with a routing redirect', async () => {
  const tokSrv = await startTdsServer(['--accept-token', 'e2e-token-123', '--route-to', 'self']);
  try {
    const c = await connectStdio({
      AZURE_SQL_SERVER: `127.0.0.1,${tokSrv.port}`, AZURE_SQL_DATABASE: 'demo', AZURE_SQL_CA_FILE: tokSrv.cert,
      AZURE_SQL_AUTH_TYPE: 'access_token', AZURE_SQL_ACCESS_TOKEN: 'e2e-token-123' });
    try {
      const r = await c.client.callTool({ name: 'read_data', arguments: {
        query: "SELECT CONNECTIONPROPERTY('auth_scheme') AS scheme, SUSER_SNAME() AS who" } });
      assert.equal(r.isError, false, text(r));
      assert.deepEqual(r.structuredContent.rows[0], ['FEDAUTH', 'tokenuser@example.com']);
      assert.doesNotMatch(c.stderr, /e2e-token-123/);
    } finally {
      await c.client.close();
    }
  } finally {
    tokSrv.stop();
  }
});

test('start-up privilege check: warned about a sysadmin login in read-only mode, silent for db_datareader', async () => {
  const checked = async (c) => {
    for (let i = 0; i < 100 && !/privileges: checked/.test(c.stderr); i++) await new Promise((res) => setTimeout(res, 100));
    assert.match(c.stderr, /privileges: checked/);
  };
  const admin = await startTdsServer(['--sysadmin']);
  try {
    const c = await connectStdio(sqlServerEnv(admin, { MCP_READ_ONLY: 'true', LOG_LEVEL: 'debug' }));
    try {
      const r = await c.client.callTool({ name: 'database_info', arguments: {} });
      assert.equal(r.isError, false, text(r));
      assert.ok(r.structuredContent.warnings.some((w) => /sysadmin/.test(w)), JSON.stringify(r.structuredContent.warnings));
      await checked(c);
      assert.match(c.stderr, /privileges: the login is sysadmin while read-only mode is on/);
    } finally {
      await c.client.close();
    }
  } finally {
    admin.stop();
  }
  // A least-privilege login (db_datareader only) gets no warning in read-only mode.
  const reader = await startTdsServer(['--db-roles', 'db_datareader']);
  try {
    const plain = await connectStdio(sqlServerEnv(reader, { MCP_READ_ONLY: 'true', LOG_LEVEL: 'debug' }));
    try {
      await checked(plain);
      assert.match(plain.stderr, /privileges: checked, 0 warning/);
      assert.doesNotMatch(plain.stderr, /privileges: the login/);
    } finally {
      await plain.client.close();
    }
  } finally {
    reader.stop();
  }
});

test('bad password: clear start-up error without the secret', async () => {
  const bin = process.env.AZSQL_BIN || path.resolve(import.meta.dirname, '../../../build/azsql-mcp');
  const p = spawn(bin, ['--transport', 'stdio'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', ...env({ AZURE_SQL_PASSWORD: 'wrong-secret' }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  p.stderr.on('data', (d) => { err += d.toString(); });
  const code = await new Promise((resolve) => p.on('exit', (c) => resolve(c)));
  assert.notEqual(code, 0);
  assert.match(err, /18456/);
  assert.match(err, /Login failed/);
  assert.doesNotMatch(err, /wrong-secret/);
});
