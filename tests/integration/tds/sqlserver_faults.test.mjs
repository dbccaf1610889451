// Fault handling of the real azsql-mcp binary on the SQL Server backend (our TDS client) against the
// independent Python TDS test server: transient login errors, routing, a connection dropped mid-result,
// the statement timeout, MCP cancellation and stopping a large result early. After every fault the next
// call must succeed (the pool recovers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connectStdio, RawStdio } from '../../e2e/lib.mjs';

const SRC = process.env.AZSQL_SOURCE_DIR || path.resolve(import.meta.dirname, '../../..');

// A read-only statement the test server's SQLite shim needs seconds for (≈3 s on an idle machine;
// SQLite does not short-cut the COUNT because of the WHERE). The server only looks for ATTENTION while it
// streams rows or waits in WAITFOR, so it acknowledges an ATTENTION for this statement when it is done.
const SLOW_QUERY = 'SELECT COUNT(*) AS n FROM big_table a ' +
  'CROSS JOIN (SELECT TOP 1000 id FROM big_table) b WHERE a.amount > b.id';
// A read-only statement whose rows trickle out (≈1,500 rows/s on an idle machine: a correlated COUNT per
// row; 10,000 rows ≈ 6.5 s, all 100,000 rows over a minute). The shim fetches 500 rows at a time
// (≈0.4 s), and the server checks for ATTENTION every 64 rows while it streams them, so an ATTENTION is
// acknowledged within about one batch — well inside the client's 5 s wait even on a loaded machine. Used
// with the largest limit (10,000) so the limit is never what ends it.
const TRICKLE_QUERY = 'SELECT a.id FROM big_table a WHERE (SELECT COUNT(*) FROM ' +
  '(SELECT TOP 4000 id FROM big_table) b WHERE b.id < a.id - 1000000) = 0';
// Slower than the client's 5 s wait for the ATTENTION acknowledgement (≈9 s on an idle machine).
const VERY_SLOW_QUERY = 'SELECT COUNT(*) AS n FROM big_table a ' +
  'CROSS JOIN (SELECT TOP 3000 id FROM big_table) b WHERE a.amount > b.id';
// Generous upper bound for any single call in this file (the test server acknowledges late, and the
// client gives up on an acknowledgement after 5 s).
const CALL_BOUND_MS = 60000;

/** Starts the Python TDS test server with -v (its protocol log is kept to assert what happened). */
function startServer(args = []) {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', [path.join(SRC, 'tests/tds_server/tds_server.py'), '--port', '0', '-v', ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    const s = { proc: p, log: '' };
    p.stderr.on('data', (d) => { s.log += d.toString(); });
    let buf = '';
    const timer = setTimeout(() => { p.kill('SIGTERM'); reject(new Error('TDS test server did not start')); }, 30000);
    p.stdout.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0 && !s.port) {
        clearTimeout(timer);
        Object.assign(s, JSON.parse(buf.slice(0, i)));
        resolve(s);
      }
    });
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

function stopServer(s) {
  if (!s) return;
  s.proc.kill('SIGTERM');  // by PID
  s.proc.stdin.end();
}

const text = (r) => (r.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');

function env(srv, extra = {}) {
  return {
    AZURE_SQL_SERVER: `127.0.0.1,${srv.port}`,
    AZURE_SQL_USERNAME: 'sa',
    AZURE_SQL_PASSWORD: 'Passw0rd!',
    AZURE_SQL_DATABASE: 'demo',
    AZURE_SQL_CA_FILE: srv.cert,
    ...extra,
  };
}

/** One test server and one binary (official SDK client over stdio) for the duration of fn. */
async function withServerAndClient(serverArgs, extraEnv, fn) {
  const srv = await startServer(serverArgs);
  try {
    const c = await connectStdio(env(srv, extraEnv));
    try {
      await fn(c.client, c, srv);
    } finally {
      await c.client.close();
    }
  } finally {
    stopServer(srv);
  }
}

const call = (client, name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: CALL_BOUND_MS });

/** The tool error text must be a message for a person: no secret, no stack trace, no C++ internals. */
function assertCleanError(msg, c) {
  assert.ok(msg.length > 0);
  assert.doesNotMatch(msg, /Passw0rd/);
  assert.doesNotMatch(msg, /\n\s+at |std::|terminate|Traceback|0x[0-9a-f]{8,}/);
  assert.doesNotMatch(c.stderr, /Passw0rd/);
}

async function assertRegionReadWorks(client) {
  const r = await call(client, 'read_data', { query: 'SELECT TOP 5 * FROM Region' });
  assert.equal(r.isError, false, text(r));
  assert.ok(r.structuredContent.row_count > 0 && r.structuredContent.row_count <= 5, text(r));
  assert.ok(r.structuredContent.columns.some((col) => col.name === 'Region_Libelle'));
}

/** @@SPID of the session the next read runs on (with CONNECTION_POOL_SIZE=1: the pooled one). */
async function sessionId(client) {
  const r = await call(client, 'read_data', { query: 'SELECT @@SPID AS spid' });
  assert.equal(r.isError, false, text(r));
  return r.structuredContent.rows[0][0];
}

const ms = (t0) => Math.round(performance.now() - t0);

test('1. transient login errors (40613 twice): the binary retries with backoff and starts', async () => {
  const t0 = performance.now();
  await withServerAndClient(['--transient-login-errors', '2'], {}, async (client, c, srv) => {
    const started = ms(t0);
    const r = await call(client, 'list_tables', {});
    assert.equal(r.isError, false, text(r));
    const names = r.structuredContent.tables.map((t) => t.name);
    for (const n of ['Article', 'Region', 'types_demo']) assert.ok(names.includes(n), n);
    // The two failures really happened (the server's log), and were retried.
    assert.equal((srv.log.match(/login failed 40613/g) || []).length, 2, srv.log.slice(0, 2000));
    await assertRegionReadWorks(client);
    assert.doesNotMatch(c.stderr, /Passw0rd/);
    console.log(`  [1] start-up incl. 2 transient login failures: ${started} ms`);
  });
});

test('2. routing (ENVCHANGE 20 to a second listener) with SQL authentication', async () => {
  await withServerAndClient(['--route-to', 'self'], {}, async (client, c, srv) => {
    assert.ok(srv.routing_port && srv.routing_port !== srv.port, JSON.stringify(srv));
    let r = await call(client, 'list_tables', {});
    assert.equal(r.isError, false, text(r));
    r = await call(client, 'read_data', { query: "SELECT CONNECTIONPROPERTY('auth_scheme') AS scheme, SUSER_SNAME() AS who" });
    assert.equal(r.isError, false, text(r));
    assert.deepEqual(r.structuredContent.rows[0], ['SQL', 'sa']);
    r = await call(client, 'describe_table', { table_name: 'Article' });
    assert.equal(r.isError, false, text(r));
    // The redirect was answered and followed: routed logins on the first port, a plain one on the second.
    assert.match(srv.log, new RegExp(`routed login to .*${srv.routing_port}`));
    assert.ok((srv.log.match(/login \{/g) || []).length >= 2, srv.log.slice(0, 2000));
  });
});

test('3. connection dropped mid-result: clear tool error, the next read succeeds', async () => {
  await withServerAndClient(['--drop-after-rows', '50'], { CONNECTION_POOL_SIZE: '1' }, async (client, c, srv) => {
    const t0 = performance.now();
    const r = await call(client, 'read_data', { query: 'SELECT id, label FROM big_table', limit: 1000 });
    const took = ms(t0);
    assert.equal(r.isError, true, JSON.stringify(r).slice(0, 500));
    const msg = text(r);
    assert.match(msg, /read_data failed/);
    assert.match(msg, /connection|closed|reset|broken|lost|end of (file|stream)|eof/i);
    assert.match(msg, /connection to the database was lost during the call.*retry now/s, "a dropped connection says so and that a retry can work at once");
    assertCleanError(msg, c);
    assert.match(srv.log, /dropping connection after/);
    // The broken connection was discarded: a new one serves the next calls.
    await assertRegionReadWorks(client);
    const r2 = await call(client, 'read_data', { query: 'SELECT COUNT(*) AS n FROM big_table' });
    assert.equal(r2.isError, false, text(r2));
    assert.equal(Number(r2.structuredContent.rows[0][0]), 100000);
    console.log(`  [3] dropped mid-result → error in ${took} ms: ${msg.split('\n')[0]}`);
  });
});

test('3b. dropped mid-result behind a routing redirect (every login routed): the replacement session follows it again', async () => {
  await withServerAndClient(['--route-to', 'self', '--route-all', '--drop-after-rows', '50'], { CONNECTION_POOL_SIZE: '1' }, async (client, c, srv) => {
    await assertRegionReadWorks(client);
    const routedBefore = (srv.log.match(/routed login to/g) || []).length;
    const r = await call(client, 'read_data', { query: 'SELECT id, label FROM big_table', limit: 1000 });
    assert.equal(r.isError, true, JSON.stringify(r).slice(0, 500));
    assertCleanError(text(r), c);
    await assertRegionReadWorks(client);
    assert.ok((srv.log.match(/routed login to/g) || []).length > routedBefore, 'the new session did not go through the redirect: ' + srv.log.split('\n').filter((l) => /login|rout|drop/.test(l)).join('\n'));
  });
});

test('4. statement timeout (MCP_QUERY_TIMEOUT=1): tool error naming the timeout, the next call succeeds', async () => {
  await withServerAndClient([], { MCP_QUERY_TIMEOUT: '1', CONNECTION_POOL_SIZE: '1' }, async (client, c, srv) => {
    const t0 = performance.now();
    const r = await call(client, 'read_data', { query: SLOW_QUERY });
    const took = ms(t0);
    assert.equal(r.isError, true, JSON.stringify(r).slice(0, 500));
    const msg = text(r);
    assert.match(msg, /statement timeout/);
    assert.match(msg, /MCP_QUERY_TIMEOUT/);
    assertCleanError(msg, c);
    assert.match(srv.log, /batch:.*CROSS JOIN|rpc/);
    // One pooled connection: the next calls get it back after the ATTENTION (or a fresh one).
    await assertRegionReadWorks(client);
    const r2 = await call(client, 'list_tables', {});
    assert.equal(r2.isError, false, text(r2));
    console.log(`  [4] timeout error after ${took} ms: ${msg.split('\n')[0]}`);
  });
});

test('4b. statement timeout while rows stream: prompt ATTENTION acknowledgement, the same session is reused', async () => {
  await withServerAndClient([], { MCP_QUERY_TIMEOUT: '1', CONNECTION_POOL_SIZE: '1' }, async (client, c, srv) => {
    const spid = await sessionId(client);
    const t0 = performance.now();
    const r = await call(client, 'read_data', { query: TRICKLE_QUERY, limit: 10000 });
    const took = ms(t0);
    assert.equal(r.isError, true, JSON.stringify(r).slice(0, 500));
    assert.match(text(r), /statement timeout \(MCP_QUERY_TIMEOUT[;)]/);
    assertCleanError(text(r), c);
    // The server stopped the statement because of our ATTENTION (not because it finished).
    assert.match(srv.log, /answering ATTENTION/);
    assert.equal(await sessionId(client), spid);
    await assertRegionReadWorks(client);
    console.log(`  [4b] timeout while streaming: error after ${took} ms; session ${spid} reused`);
  });
});

test('4c. statement timeout, acknowledgement later than the client waits: connection replaced, next call works', async () => {
  await withServerAndClient([], { MCP_QUERY_TIMEOUT: '1', CONNECTION_POOL_SIZE: '1' }, async (client, c) => {
    const spid = await sessionId(client);
    const t0 = performance.now();
    const r = await call(client, 'read_data', { query: VERY_SLOW_QUERY });
    const took = ms(t0);
    assert.equal(r.isError, true, JSON.stringify(r).slice(0, 500));
    assert.match(text(r), /statement timeout \(MCP_QUERY_TIMEOUT[;)]/);
    assertCleanError(text(r), c);
    await assertRegionReadWorks(client);
    const after = await sessionId(client);
    console.log(`  [4c] timeout with a late acknowledgement: error after ${took} ms; session ${spid} → ${after}`);
  });
});

test('5. notifications/cancelled during a slow read: ping answers meanwhile, the next read succeeds', async () => {
  const srv = await startServer();
  const raw = new RawStdio(env(srv, { CONNECTION_POOL_SIZE: '1' }));
  try {
    const init = await raw.initialize();
    assert.ok(init.result, JSON.stringify(init));
    const slowId = 'slow-1';
    raw.send({ jsonrpc: '2.0', id: slowId, method: 'tools/call', params: { name: 'read_data', arguments: { query: SLOW_QUERY } } });
    // Let the statement reach the database server (its batch shows up in the server's log).
    for (let i = 0; i < 100 && !/CROSS JOIN/.test(srv.log); i++) await new Promise((res) => setTimeout(res, 50));
    assert.match(srv.log, /CROSS JOIN/, 'the slow statement never reached the server');
    const tCancel = performance.now();
    raw.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: slowId, reason: 'test' } });
    // The protocol core is not blocked by the running statement.
    // One pooled connection: this read waits until the cancelled statement gives its connection back
    // (the test server acknowledges the ATTENTION only when the COUNT is done) ...
    raw.send({ jsonrpc: '2.0', id: 'after-1', method: 'tools/call', params: { name: 'read_data', arguments: { query: 'SELECT TOP 5 * FROM Region' } } });
    let pingMs = -1;
    let afterMs = -1;
    const afterP = raw.waitFor((m) => m.id === 'after-1' && !m.method, CALL_BOUND_MS).then((m) => { afterMs = ms(tCancel); return m; });
    // ... while the protocol core keeps answering: the ping sent after that read is answered before it.
    const pong = await raw.request('ping-1', 'ping', {});
    pingMs = ms(tCancel);
    assert.deepEqual(pong.result, {}, JSON.stringify(pong));
    assert.equal(afterMs, -1, 'the ping waited for the database');
    const after = await afterP;
    assert.ok(after.result, JSON.stringify(after));
    assert.equal(after.result.isError, false, JSON.stringify(after.result));
    assert.ok(after.result.structuredContent.row_count > 0);
    // MCP: a cancelled request should get no response; if one came anyway, it must not be a success.
    const answered = raw.messages.filter((m) => m.id === slowId);
    for (const m of answered) {
      assert.ok(m.error || m.result?.isError === true, 'cancelled request answered with a success: ' + JSON.stringify(m));
    }
    const r2 = await raw.request('after-2', 'tools/call', { name: 'list_tables', arguments: {} });
    assert.equal(r2.result?.isError, false, JSON.stringify(r2));
    assert.doesNotMatch(raw.stderr, /Passw0rd/);
    console.log(`  [5] ping ${pingMs} ms after the cancel; next read done ${afterMs} ms after it; ` +
      `cancelled request answered: ${answered.length ? JSON.stringify(answered[0]).slice(0, 200) : 'no'}`);
  } finally {
    await raw.close();
    stopServer(srv);
  }
});

test('5b. notifications/cancelled while rows stream: the server sees the ATTENTION, the session is reused', async () => {
  const srv = await startServer();
  const raw = new RawStdio(env(srv, { CONNECTION_POOL_SIZE: '1' }));
  const spidOf = async (id) => {
    raw.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'read_data', arguments: { query: 'SELECT @@SPID AS spid' } } });
    const m = await raw.waitFor((x) => x.id === id && !x.method, CALL_BOUND_MS);
    assert.equal(m.result?.isError, false, JSON.stringify(m));
    return m.result.structuredContent.rows[0][0];
  };
  try {
    await raw.initialize();
    const before = await spidOf('spid-1');
    raw.send({ jsonrpc: '2.0', id: 42, method: 'tools/call', params: { name: 'read_data', arguments: { query: TRICKLE_QUERY, limit: 10000 } } });
    for (let i = 0; i < 100 && !/batch: SELECT a\.id/.test(srv.log); i++) await new Promise((res) => setTimeout(res, 50));
    assert.match(srv.log, /batch: SELECT a\.id/, 'the statement never reached the server');
    const tCancel = performance.now();
    raw.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 42, reason: 'user gave up' } });
    const pong = await raw.request('ping-2', 'ping', {});
    assert.deepEqual(pong.result, {});
    const after = await spidOf('spid-2');  // waits for the only pooled connection
    const afterMs = ms(tCancel);
    // The database server stopped the statement because of our ATTENTION (it had minutes left to run).
    assert.match(srv.log, /answering ATTENTION/);
    assert.equal(after, before);
    const answered = raw.messages.filter((m) => m.id === 42);
    for (const m of answered) {
      assert.ok(m.error || m.result?.isError === true, 'cancelled request answered with a success: ' + JSON.stringify(m));
    }
    console.log(`  [5b] cancel while streaming: connection back ${afterMs} ms after the cancel; session ${before} reused; ` +
      `cancelled request answered: ${answered.length ? 'yes (error)' : 'no'}`);
  } finally {
    await raw.close();
    stopServer(srv);
  }
});

test('6. stop early: limit 10 on a 100,000-row table sends ATTENTION, the same pooled connection is reused', async () => {
  await withServerAndClient([], { CONNECTION_POOL_SIZE: '1' }, async (client, c, srv) => {
    const spid = async () => {
      const r = await call(client, 'read_data', { query: 'SELECT @@SPID AS spid' });
      assert.equal(r.isError, false, text(r));
      return r.structuredContent.rows[0][0];
    };
    const before = await spid();
    const t0 = performance.now();
    const r = await call(client, 'read_data', { query: 'SELECT id, label, amount FROM big_table', limit: 10 });
    const took = ms(t0);
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.row_count, 10);
    assert.equal(r.structuredContent.rows.length, 10);
    assert.equal(r.structuredContent.truncated, true);
    assert.deepEqual(r.structuredContent.rows.map((row) => Number(row[0])), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The server stopped streaming because of the ATTENTION (it did not send all 100,000 rows).
    assert.match(srv.log, /answering ATTENTION/);
    // Same session afterwards, and it works.
    assert.equal(await spid(), before);
    const r2 = await call(client, 'read_data', { query: 'SELECT COUNT(*) AS n FROM big_table' });
    assert.equal(r2.isError, false, text(r2));
    assert.equal(Number(r2.structuredContent.rows[0][0]), 100000);
    await assertRegionReadWorks(client);
    // The same with parameters (sp_executesql RPC instead of a SQL batch).
    const t1 = performance.now();
    const rp = await call(client, 'read_data', { query: 'SELECT id, label FROM big_table WHERE id > @min', parameters: { min: 500 }, limit: 7 });
    const tookRpc = ms(t1);
    assert.equal(rp.isError, false, text(rp));
    assert.equal(rp.structuredContent.row_count, 7);
    assert.equal(rp.structuredContent.truncated, true);
    assert.equal(Number(rp.structuredContent.rows[0][0]), 501);
    assert.equal(await spid(), before);
    console.log(`  [6] limit 7 with parameters (RPC): ${tookRpc} ms`);
    console.log(`  [6] limit 10 of 100,000 rows: ${took} ms; session ${before} reused`);
  });
});

test('7. database server restarted while the pool is idle: the dead session is dropped, the next call succeeds', async () => {
  const certDir = mkdtempSync(path.join(tmpdir(), 'azsql-tdsfault-cert-'));
  let srv = await startServer(['--gen-cert', certDir]);
  const c = await connectStdio(env(srv, { CONNECTION_POOL_SIZE: '2' }));
  try {
    const spid = await sessionId(c.client);
    // The server goes away (its sockets close) and comes back on the same port with the same certificate.
    const exited = new Promise((res) => srv.proc.on('exit', res));
    stopServer(srv);
    await exited;
    srv = await startServer(['--port', String(srv.port), '--gen-cert', certDir]);  // the later --port wins
    // The first call after the restart must not fail on the dead pooled session.
    await assertRegionReadWorks(c.client);
    const h = await call(c.client, 'health_check', {});
    assert.equal(h.structuredContent.status, 'healthy', text(h));
    assert.ok(h.structuredContent.pool.discarded >= 1, JSON.stringify(h.structuredContent.pool));
    console.log(`  [7] after the restart: session ${spid} → ${await sessionId(c.client)}; pool ${JSON.stringify(h.structuredContent.pool)}`);
  } finally {
    await c.client.close();
    stopServer(srv);
    rmSync(certDir, { recursive: true, force: true });
  }
});
