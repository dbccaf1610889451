// Cursor walk over 100,000 rows on each backend through the real binary (stdio, official SDK client):
// pages, wall time, rows the database had to produce (re-reads included) and the server's peak RSS.
//   node bench/cursor/walk.mjs [rows=100000] [limit=10000]
// SQLite: a recursive CTE in a fresh demo database; SQL Server: big_table of the Python TDS test server.
import path from 'node:path';
import { connectStdio, startTdsServer, sqlServerEnv, tempDir, makeDemoDb, peakRssKiB, rmSync } from '../../tests/e2e/lib.mjs';

const ROWS = Number(process.argv[2] || 100000);
const LIMIT = Number(process.argv[3] || 10000);

async function walk(env, query) {
  const c = await connectStdio({ ...env, MCP_MAX_RESULT_BYTES: String(64 << 20) });
  try {
    const t0 = performance.now();
    let cursor;
    let pages = 0;
    let rows = 0;
    let last = 0;
    let produced = 0;
    for (; pages < 1000; ) {
      const r = await c.client.callTool({ name: 'read_data', arguments: { query, limit: LIMIT, ...(cursor ? { cursor } : {}) } });
      if (r.isError) throw new Error(r.content[0].text);
      pages++;
      produced += rows + r.structuredContent.rows.length + (r.structuredContent.truncated ? 1 : 0);
      for (const row of r.structuredContent.rows) {
        if (row[0] !== last + 1) throw new Error(`row ${row[0]} after ${last}`);
        last = row[0];
      }
      rows += r.structuredContent.rows.length;
      cursor = r.structuredContent.next_cursor;
      if (!cursor) break;
    }
    const ms = performance.now() - t0;
    return { pages, rows, ms: Math.round(ms), produced, peak_rss_kib: peakRssKiB(c.transport.pid) };
  } finally {
    await c.client.close();
  }
}

const dir = tempDir('azsql-cursor-bench-');
const db = path.join(dir, 'demo.db');
await makeDemoDb(db);
const tds = await startTdsServer();
try {
  const sqlite = await walk({ SQLITE_PATH: db },
    `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${ROWS}) SELECT n, 'label ' || n AS label, n * 0.5 AS amount FROM g`);
  console.log(JSON.stringify({ backend: 'sqlite', limit: LIMIT, ...sqlite }));
  const sqlserver = await walk(sqlServerEnv(tds), `SELECT TOP ${ROWS} id, label, amount FROM big_table ORDER BY id`);
  console.log(JSON.stringify({ backend: 'sqlserver (Python TDS test server)', limit: LIMIT, ...sqlserver }));
} finally {
  tds.stop();
  rmSync(dir, { recursive: true, force: true });
}
