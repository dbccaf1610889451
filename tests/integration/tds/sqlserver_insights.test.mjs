// The DBA insight tools (top_queries, active_requests, index_advice, wait_stats, table_space) through
// the real binary against the Python TDS test server, whose Query Store and DMV rows come from
// tests/tds_server/dba_demo.json (the expectations below are computed from that file). The SDK
// client validates every structuredContent against the tool's outputSchema.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectStdio, startTdsServer, sqlServerEnv } from '../../e2e/lib.mjs';

const SRC = process.env.AZSQL_SOURCE_DIR || process.cwd();
const demo = JSON.parse(fs.readFileSync(path.join(SRC, 'tests/tds_server/dba_demo.json'), 'utf8'));
const INSIGHTS = ['top_queries', 'active_requests', 'index_advice', 'wait_stats', 'table_space'];
const text = (r) => r.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

let server;
let denied;
before(async () => {
  [server, denied] = await Promise.all([startTdsServer(), startTdsServer(['--deny-view-database-state'])]);
});
after(() => { server?.stop(); denied?.stop(); });

async function withClient(srv, fn) {
  const c = await connectStdio(sqlServerEnv(srv));
  try { await fn(c.client); } finally { await c.client.close(); }
}

/** Per query: totals over the stats rows inside the window, as Query Store sums them. */
function expectedTop(hours, key) {
  const out = [];
  for (const q of demo.query_store.queries) {
    const st = q.stats.filter((s) => s.minutes_ago <= hours * 60);
    if (!st.length) continue;
    const sum = (f) => st.reduce((a, s) => a + f(s) * s.count_executions, 0);
    out.push({ query_id: q.query_id, executions: st.reduce((a, s) => a + s.count_executions, 0),
      cpu_ms: sum((s) => s.avg_cpu_time) / 1000, duration_ms: sum((s) => s.avg_duration) / 1000,
      logical_reads: sum((s) => s.avg_logical_io_reads) });
  }
  return out.sort((a, b) => b[key] - a[key] || a.query_id - b.query_id);
}

test('the insight tools are listed on SQL Server, with short descriptions and output schemas', async () => {
  await withClient(server, async (client) => {
    const { tools } = await client.listTools();
    for (const name of INSIGHTS) {
      const t = tools.find((x) => x.name === name);
      assert.ok(t, name);
      assert.ok(t.outputSchema, name);
      assert.equal(t.annotations.readOnlyHint, true);
      assert.match(t.description, /VIEW DATABASE STATE/);
      assert.ok(t.description.length < 200, `${name}: ${t.description.length} chars`);
    }
  });
});

test('top_queries ranks Query Store queries by cpu, duration and reads within the window', async () => {
  await withClient(server, async (client) => {
    for (const [metric, key] of [['cpu', 'cpu_ms'], ['duration', 'duration_ms'], ['reads', 'logical_reads']]) {
      const r = await client.callTool({ name: 'top_queries', arguments: { metric } });
      assert.equal(r.isError, false, text(r));
      assert.equal(r.structuredContent.query_store_state, demo.query_store.actual_state);
      const want = expectedTop(24, key);
      assert.deepEqual(r.structuredContent.queries.map((q) => q.query_id), want.map((q) => q.query_id), metric);
      for (const [i, q] of r.structuredContent.queries.entries()) {
        assert.equal(q.executions, want[i].executions);
        for (const k of ['cpu_ms', 'duration_ms', 'logical_reads']) assert.ok(Math.abs(q[k] - want[i][k]) < 1e-6, `${k} ${q[k]}`);
        assert.equal(q.text, demo.query_store.queries.find((x) => x.query_id === q.query_id).text);
      }
      assert.match(text(r), new RegExp(`^Top ${want.length} queries by ${metric}, last 24 h`));
    }
    // A 30-day window also includes the two-day-old query; limit cuts the list.
    const wide = await client.callTool({ name: 'top_queries', arguments: { metric: 'cpu', hours: 720 } });
    assert.deepEqual(wide.structuredContent.queries.map((q) => q.query_id), expectedTop(720, 'cpu_ms').map((q) => q.query_id));
    const one = await client.callTool({ name: 'top_queries', arguments: { metric: 'reads', limit: 1 } });
    assert.equal(one.structuredContent.queries.length, 1);
  });
});

test('active_requests reports the blocking chain head first and the long-running request', async () => {
  await withClient(server, async (client) => {
    const r = await client.callTool({ name: 'active_requests', arguments: { min_seconds: 60 } });
    assert.equal(r.isError, false, text(r));
    // Chain from blocking_session_id links: the idle session that blocks, then each waiter.
    const byId = Object.fromEntries(demo.requests.map((q) => [q.session_id, q]));
    const leaf = demo.requests.find((q) => q.blocking_session_id && !demo.requests.some((o) => o.blocking_session_id === q.session_id));
    const chain = [leaf.session_id];
    while (byId[chain[0]]?.blocking_session_id) chain.unshift(byId[chain[0]].blocking_session_id);
    assert.deepEqual(r.structuredContent.chains, [chain]);
    const ids = r.structuredContent.requests.map((q) => q.session_id).sort();
    const longRunning = demo.requests.filter((q) => q.total_elapsed_time >= 60000 && !q.blocking_session_id).map((q) => q.session_id);
    assert.deepEqual(ids, [...new Set([...chain, ...longRunning])].sort());
    const head = r.structuredContent.requests.find((q) => q.session_id === chain[0]);
    const headSession = demo.sessions.find((s) => s.session_id === chain[0]);
    assert.equal(head.login, headSession.login_name);
    assert.equal(head.open_transactions, headSession.open_transaction_count);
    const waiter = r.structuredContent.requests.find((q) => q.session_id === chain[1]);
    assert.equal(waiter.wait_type, byId[chain[1]].wait_type);
    assert.equal(waiter.wait_ms, byId[chain[1]].wait_time);
    assert.equal(waiter.sql_text, byId[chain[1]].text);
    assert.match(text(r), new RegExp(`^Blocking chains \\(head blocker first\\):\\n${chain.join(' .*→ ')}`));
    assert.match(text(r), new RegExp(`Running longer than 60 s:\\n${longRunning[0]} INSERT`));
    // A lower threshold adds the short request only when it passes it (150 ms here).
    const all = await client.callTool({ name: 'active_requests', arguments: { min_seconds: 0 } });
    assert.ok(all.structuredContent.requests.some((q) => q.session_id === 205));
  });
});

test('index_advice lists missing indexes by benefit with a CREATE INDEX and the unused index', async () => {
  await withClient(server, async (client) => {
    const r = await client.callTool({ name: 'index_advice', arguments: {} });
    assert.equal(r.isError, false, text(r));
    const want = demo.missing_indexes.map((m) => ({ ...m, improvement: m.avg_total_user_cost * m.avg_user_impact * (m.user_seeks + m.user_scans) }))
      .sort((a, b) => b.improvement - a.improvement);
    assert.deepEqual(r.structuredContent.missing.map((m) => m.table), want.map((m) => m.table));
    for (const [i, m] of r.structuredContent.missing.entries()) {
      assert.ok(Math.abs(m.improvement - want[i].improvement) < 1e-6);
      const key = [want[i].equality_columns, want[i].inequality_columns].filter(Boolean).join(', ');
      assert.ok(m.create_statement.includes(`ON [dbo].[${want[i].table}] (${key}) INCLUDE (${want[i].included_columns})`), m.create_statement);
    }
    const unused = demo.index_usage.filter((u) => u.user_seeks + u.user_scans + u.user_lookups === 0);
    assert.deepEqual(r.structuredContent.unused.map((u) => [u.table, u.index, u.user_updates]),
      unused.map((u) => [u.table, u.index, u.user_updates]));
    assert.match(text(r), /CREATE INDEX \[IX_Article_CategorieId_Tarif\]/);
  });
});

test('wait_stats excludes idle waits and gives each wait its share', async () => {
  await withClient(server, async (client) => {
    const r = await client.callTool({ name: 'wait_stats', arguments: {} });
    assert.equal(r.isError, false, text(r));
    const busy = demo.wait_stats.filter((w) => w.wait_time_ms > 0 && !/SLEEP/.test(w.wait_type)).sort((a, b) => b.wait_time_ms - a.wait_time_ms);
    const total = busy.reduce((a, w) => a + w.wait_time_ms, 0);
    assert.deepEqual(r.structuredContent.waits.map((w) => w.wait_type), busy.map((w) => w.wait_type));
    for (const [i, w] of r.structuredContent.waits.entries()) {
      assert.ok(Math.abs(w.percent - (100 * busy[i].wait_time_ms) / total) < 1e-9);
      assert.equal(w.waiting_tasks, busy[i].waiting_tasks_count);
    }
    assert.match(text(r), /PAGEIOLATCH_SH \d+\.\d% .*reading data pages/);
  });
});

test('table_space matches the partition stats and the real row counts', async () => {
  await withClient(server, async (client) => {
    const r = await client.callTool({ name: 'table_space', arguments: { schema: 'dbo' } });
    assert.equal(r.isError, false, text(r));
    const art = r.structuredContent.tables.find((t) => t.table === 'Article');
    const count = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT COUNT(*) AS n FROM Article' } });
    assert.equal(art.rows, count.structuredContent.rows[0][0]);
    const ps = await client.callTool({ name: 'read_data', arguments: {
      query: "SELECT SUM(reserved_page_count) * 8 AS kb FROM sys.dm_db_partition_stats WHERE object_id = OBJECT_ID('Article')" } });
    assert.equal(art.reserved_kb, ps.structuredContent.rows[0][0]);
    const kb = r.structuredContent.tables.map((t) => t.reserved_kb);
    assert.deepEqual(kb, [...kb].sort((a, b) => b - a));
    assert.match(text(r), /Article: \d+ rows/);
  });
});

test('without VIEW DATABASE STATE each insight tool says what it needs; the other tools still work', async () => {
  await withClient(denied, async (client) => {
    for (const name of INSIGHTS) {
      const r = await client.callTool({ name, arguments: {} });
      assert.equal(r.isError, true, name);
      assert.equal(r.structuredContent.error.kind, 'permission', name);
      assert.equal(r.structuredContent.error.number, 300);
      assert.match(text(r), new RegExp(`^${name} needs VIEW DATABASE STATE.*GRANT VIEW DATABASE STATE`, 's'));
    }
    const r = await client.callTool({ name: 'list_tables', arguments: {} });
    assert.equal(r.isError, false, text(r));
  });
});

test('on SQLite the insight tools are not listed', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'azsql-insights-'));
  const c = await connectStdio({ XDG_DATA_HOME: home });
  try {
    const { tools } = await c.client.listTools();
    assert.ok(tools.some((t) => t.name === 'read_data'));
    for (const name of INSIGHTS) assert.ok(!tools.some((t) => t.name === name), name);
  } finally {
    await c.client.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
});
