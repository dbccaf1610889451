// read_data cursors through the real binary: next_cursor continues exactly where a page ended (no row
// twice, none missing) on SQLite and on SQL Server (Python TDS test server), at the row limit and at
// the byte budget; cursors are signed, bound to the session and the query, expire, and a change in the
// data between pages is reported instead of repeating or skipping rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { connectStdio, startTdsServer, sqlServerEnv, tempDir, makeDemoDb, rmSync } from './lib.mjs';
import { startHttp, connectSdk } from './http_lib.mjs';

const text = (r) => r.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
const SERIES = (n) => `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${n}) ` +
  "SELECT n, 'row ' || n AS label FROM g";

let dir;
let db;
let tds;
before(async () => {
  dir = tempDir('azsql-cursor-');
  db = path.join(dir, 'demo.db');
  await makeDemoDb(db);
  tds = await startTdsServer();
});
after(() => { tds?.stop(); rmSync(dir, { recursive: true, force: true }); });

/** Follows next_cursor to the end; returns every row and the number of pages. */
async function walk(client, args, maxPages = 200) {
  const rows = [];
  let cursor;
  let pages = 0;
  for (; pages < maxPages; ) {
    const r = await client.callTool({ name: 'read_data', arguments: { ...args, ...(cursor ? { cursor } : {}) } });
    assert.equal(r.isError, false, text(r));
    pages++;
    assert.equal(r.structuredContent.offset ?? 0, rows.length, 'offset names the rows already returned');
    rows.push(...r.structuredContent.rows);
    cursor = r.structuredContent.next_cursor;
    assert.equal(Boolean(cursor), r.structuredContent.truncated, 'a cursor exactly when truncated');
    if (!cursor) break;
    assert.ok(text(r).includes(cursor), 'the text rendering carries the cursor too');
  }
  return { rows, pages };
}

test('SQLite: pages at the row limit cover the result exactly once', async () => {
  const c = await connectStdio({ SQLITE_PATH: db });
  try {
    const { rows, pages } = await walk(c.client, { query: SERIES(2500), limit: 1000 });
    assert.equal(pages, 3);
    assert.deepEqual(rows.map((r) => r[0]), Array.from({ length: 2500 }, (_, i) => i + 1));
    assert.equal(rows[2499][1], 'row 2500');
  } finally { await c.client.close(); }
});

test('SQLite: pages cut by MCP_MAX_RESULT_BYTES continue where the budget stopped', async () => {
  const c = await connectStdio({ SQLITE_PATH: db, MCP_MAX_RESULT_BYTES: '2048' });
  try {
    const first = await c.client.callTool({ name: 'read_data', arguments: { query: SERIES(600), limit: 10000 } });
    assert.equal(first.structuredContent.truncated_reason, 'max_result_bytes');
    const { rows, pages } = await walk(c.client, { query: SERIES(600), limit: 10000 });
    assert.ok(pages > 3, `pages ${pages}`);
    assert.deepEqual(rows.map((r) => r[0]), Array.from({ length: 600 }, (_, i) => i + 1));
  } finally { await c.client.close(); }
});

test('SQL Server: pages over big_table cover it exactly once', async () => {
  const c = await connectStdio(sqlServerEnv(tds));
  try {
    const { rows, pages } = await walk(c.client, { query: 'SELECT TOP 2500 id, label FROM big_table ORDER BY id', limit: 1000 });
    assert.equal(pages, 3);
    assert.deepEqual(rows.map((r) => r[0]), Array.from({ length: 2500 }, (_, i) => i + 1));
    // Parameters travel with the cursor check: same query and parameters continue.
    const q = { query: 'SELECT id FROM big_table WHERE id > @lo ORDER BY id', parameters: { lo: 100 }, limit: 40 };
    const p1 = await c.client.callTool({ name: 'read_data', arguments: { ...q, limit: 40 } });
    const p2 = await c.client.callTool({ name: 'read_data', arguments: { ...q, cursor: p1.structuredContent.next_cursor } });
    assert.equal(p2.isError, false, text(p2));
    assert.deepEqual(p2.structuredContent.rows.map((r) => r[0]), Array.from({ length: 40 }, (_, i) => 141 + i));
  } finally { await c.client.close(); }
});

test('a change between pages is reported; tampered, foreign-query and expired cursors are refused', async () => {
  const copy = path.join(dir, 'copy.db');
  (await import('node:fs')).copyFileSync(db, copy);
  const c = await connectStdio({ SQLITE_PATH: copy, MCP_CURSOR_TTL: '2' });
  try {
    const q = { query: 'SELECT Region_Libelle FROM Region ORDER BY Region_Libelle', limit: 2 };
    const p1 = await c.client.callTool({ name: 'read_data', arguments: q });
    const cursor = p1.structuredContent.next_cursor;
    assert.ok(cursor);

    // Another query, or other parameters, with this cursor.
    let r = await c.client.callTool({ name: 'read_data', arguments: { ...q, query: q.query + ' DESC', cursor } });
    assert.equal(r.isError, true);
    assert.match(text(r), /different query or parameters/);
    // One character changed in the payload or the signature.
    const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const bad of [flip(cursor, 5), flip(cursor, cursor.length - 3), 'nonsense']) {
      r = await c.client.callTool({ name: 'read_data', arguments: { ...q, cursor: bad } });
      assert.equal(r.isError, true);
      assert.match(text(r), /cursor is not valid/);
    }

    // A row that sorts before the page boundary appears: continuing would repeat a row.
    r = await c.client.callTool({ name: 'insert_data', arguments: { sql: "INSERT INTO Region (Region_Libelle) VALUES ('AAA first')" } });
    assert.equal(r.isError, false, text(r));
    r = await c.client.callTool({ name: 'read_data', arguments: { ...q, cursor } });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.error.kind, 'cursor_stale');
    assert.match(text(r), /result changed since the previous page/);

    // Expiry (MCP_CURSOR_TTL=2 s).
    const fresh = await c.client.callTool({ name: 'read_data', arguments: q });
    await new Promise((res) => setTimeout(res, 3200));
    r = await c.client.callTool({ name: 'read_data', arguments: { ...q, cursor: fresh.structuredContent.next_cursor } });
    assert.equal(r.isError, true);
    assert.match(text(r), /cursor expired \(cursors are valid for 2 s, MCP_CURSOR_TTL\)/);
  } finally { await c.client.close(); }
});

test('a cursor is bound to the session that received it', async () => {
  const srv = await startHttp({ SQLITE_PATH: db });
  try {
    const { client: a } = await connectSdk(srv.url, { name: 'a' });
    const { client: b } = await connectSdk(srv.url, { name: 'b' });
    const q = { query: SERIES(50), limit: 10 };
    const p1 = await a.callTool({ name: 'read_data', arguments: q });
    const cursor = p1.structuredContent.next_cursor;
    const other = await b.callTool({ name: 'read_data', arguments: { ...q, cursor } });
    assert.equal(other.isError, true);
    assert.match(text(other), /belongs to another session/);
    const same = await a.callTool({ name: 'read_data', arguments: { ...q, cursor } });
    assert.equal(same.isError, false, text(same));
    assert.equal(same.structuredContent.rows[0][0], 11);
    await a.close();
    await b.close();
  } finally { await srv.stop(); }
});
