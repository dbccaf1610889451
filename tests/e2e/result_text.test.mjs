// read_data's text rendering (issue 17) round-trips: the text a model reads is parsed back
// (tests/e2e/text_table.mjs) and compared, value by value, with structuredContent — for every table of
// the demo database on SQLite, for edge values that need quoting, and for every column of types_demo and
// the demo tables on SQL Server (the real binary speaking TDS to tests/tds_server).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { connectStdio, tempDir, makeDemoDb, text, rmSync, SRC, startTdsServer, sqlServerEnv } from './lib.mjs';
import { assertRoundTrip, parseTextTable } from './text_table.mjs';

let dir;
before(() => { dir = tempDir(); });
after(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(client, query, limit = 10000) {
  const r = await client.callTool({ name: 'read_data', arguments: { query, limit } });
  assert.equal(r.isError, false, text(r));
  return r;
}

test('SQLite: every demo table and edge values read back from the text exactly as structuredContent', async () => {
  const db = path.join(dir, 'demo.db');
  await makeDemoDb(db);
  const c = await connectStdio({ SQLITE_PATH: db });
  try {
    const tables = (await c.client.callTool({ name: 'list_tables', arguments: {} })).structuredContent.tables;
    assert.ok(tables.length >= 3);
    const types = new Set();
    for (const t of tables) {
      const r = await readAll(c.client, `SELECT * FROM "${t.name}"`);
      const rt = assertRoundTrip(r);
      assert.ok(rt.rows > 0, `${t.name} has rows`);
      rt.types.forEach((x) => types.add(x));
    }
    // Every declared column type of the demo schema was covered.
    const declared = new Set();
    for (const t of tables) {
      const d = await c.client.callTool({ name: 'describe_table', arguments: { table_name: t.name } });
      d.structuredContent.columns.forEach((col) => declared.add(col.type));
    }
    for (const ty of declared) assert.ok(types.has(ty), `type ${ty} not covered: ${[...types]}`);

    // Values that would be ambiguous bare: they must come back quoted and exact.
    const edge = await readAll(c.client, `SELECT NULL AS n, '' AS empty, 'NULL' AS null_word, ' lead' AS lead,
      'trail ' AS trail, 'a,b' AS comma, 'say "hi"' AS quote, 'two' || char(10) || 'lines' AS newline,
      'tab' || char(9) AS tab, 'back\\slash' AS backslash, '"' AS lone_quote, 'Müller ✓' AS unicode,
      CAST(x'ff41' AS TEXT) AS bad_utf8, x'00ff10' AS blob, x'' AS empty_blob, 9007199254740993 AS big,
      -9223372036854775808 AS min_int, 1.5e300 AS huge, -0.25 AS neg, 0.1 AS tenth, 42 AS int,
      '007' AS zip, 'true' AS true_word, '1,5' AS decimal_comma, 'x:y' AS "col:on", 'v' AS "a,b"`);
    const rt = assertRoundTrip(edge);
    assert.deepEqual([...rt.kinds].sort(), ['null', 'number', 'string']);
    const t = parseTextTable(text(edge));
    const field = (name) => t.rows[0][edge.structuredContent.columns.findIndex((col) => col.name === name)];
    for (const name of ['empty', 'null_word', 'lead', 'trail', 'comma', 'quote', 'newline', 'tab', 'lone_quote'])
      assert.equal(field(name).bare, false, `${name} must be quoted`);
    for (const name of ['backslash', 'unicode', 'zip', 'blob', 'big'])
      assert.equal(field(name).bare, true, `${name} needs no quotes`);
    assert.equal(field('n').value, null);
    assert.equal(field('bad_utf8').value, '\uFFFDA');
    assert.equal(text(edge).split('\n').length, 4, 'header, one row, blank line, footer: no row spans two lines');
    // The footer tells why rows stopped.
    const cut = await c.client.callTool({ name: 'read_data', arguments: { query: 'SELECT * FROM Article', limit: 2 } });
    assertRoundTrip(cut);
    assert.match(parseTextTable(text(cut)).footer, /^\(2 rows\); truncated: the limit of 2 rows was reached/);
  } finally {
    await c.client.close();
  }
});

test('SQL Server: every column of types_demo and every demo table read back from the text exactly', async () => {
  const srv = await startTdsServer(['--db', path.join(dir, 'tds.sqlite')]);
  const c = await connectStdio(sqlServerEnv(srv, { MCP_QUERY_TIMEOUT: '20' }));
  try {
    const r = await readAll(c.client, 'SELECT * FROM dbo.types_demo ORDER BY id');
    const rt = assertRoundTrip(r);
    const expected = JSON.parse(readFileSync(path.join(SRC, 'tests/tds_server/types_demo.json'), 'utf8'));
    assert.equal(r.structuredContent.columns.length, expected.columns.length, 'every column of types_demo');
    assert.equal(rt.rows, expected.rows.length);
    assert.deepEqual([...rt.kinds].sort(), ['boolean', 'null', 'number', 'string']);
    for (const table of ['Article', 'CategorieArticles', 'Region']) {
      const d = assertRoundTrip(await readAll(c.client, `SELECT * FROM dbo.${table}`));
      assert.ok(d.rows > 0, table);
    }
  } finally {
    await c.client.close();
    srv.stop();
  }
});
