// The real azsql-mcp binary on the SQL Server backend against the independent Python TDS test server:
// (1) a value over MCP_MAX_VALUE_BYTES / a row over MCP_MAX_ROW_BYTES is a clear tool error, the
// connection is closed (not reused half-read) and the next call works; a value under the cap arrives
// whole; (2) a COMMIT whose connection breaks is reported "in doubt" (outcome unknown, check before
// retrying), distinct from a write that was not applied — whether the server had committed or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectStdio, startTdsServer, sqlServerEnv } from '../../e2e/lib.mjs';

const CALL_BOUND_MS = 60000;
const text = (r) => (r.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
const call = (client, name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: CALL_BOUND_MS });

async function withServerAndClient(serverArgs, extraEnv, fn) {
  const srv = await startTdsServer(serverArgs);
  try {
    const c = await connectStdio(sqlServerEnv(srv, extraEnv));
    try {
      await fn(c.client, c, srv);
    } finally {
      await c.client.close();
    }
  } finally {
    srv.stop();
  }
}

async function spid(client) {
  const r = await call(client, 'read_data', { query: 'SELECT @@SPID AS spid' });
  assert.equal(r.isError, false, text(r));
  return r.structuredContent.rows[0][0];
}

test('a varbinary(max) value over MCP_MAX_VALUE_BYTES: tool error naming the limit, the connection is replaced', async () => {
  await withServerAndClient([], { MCP_MAX_VALUE_BYTES: '1048576', CONNECTION_POOL_SIZE: '1', MCP_MAX_RESULT_BYTES: '67108864' },
    async (client) => {
      // Under the cap: the whole value arrives (base64 of 1,000,000 zero bytes).
      let r = await call(client, 'read_data', { query: 'SELECT zeroblob(1000000) AS b' });
      assert.equal(r.isError, false, text(r).slice(0, 500));
      assert.equal(Buffer.from(r.structuredContent.rows[0][0], 'base64').length, 1000000);
      const before = await spid(client);
      // Over the cap (3 MB sent as 8,000-byte PLP chunks): refused as soon as its length is known.
      r = await call(client, 'read_data', { query: 'SELECT 1 AS id, zeroblob(3000000) AS b' });
      assert.equal(r.isError, true, text(r).slice(0, 500));
      const msg = text(r);
      assert.match(msg, /3000000 bytes/);
      assert.match(msg, /MCP_MAX_VALUE_BYTES=1048576/);
      assert.match(msg, /SUBSTRING|DATALENGTH/);
      assert.equal(r.structuredContent.error.kind, 'limit');
      // The half-read session was closed, not drained: the next call runs on a new session.
      const after = await spid(client);
      assert.notEqual(after, before);
    });
});

test('a row over MCP_MAX_ROW_BYTES (each value under the value cap): tool error, the next call works', async () => {
  await withServerAndClient([], { MCP_MAX_VALUE_BYTES: '1048576', MCP_MAX_ROW_BYTES: '1500000', CONNECTION_POOL_SIZE: '1' },
    async (client) => {
      const r = await call(client, 'read_data', { query: 'SELECT zeroblob(900000) AS a, zeroblob(900000) AS b' });
      assert.equal(r.isError, true, text(r).slice(0, 500));
      assert.match(text(r), /a row of \d+ bytes or more is over the limit of 1500000 bytes/);
      const ok = await call(client, 'read_data', { query: 'SELECT zeroblob(700000) AS a, zeroblob(700000) AS b' });
      assert.equal(ok.isError, false, text(ok).slice(0, 500));
    });
});

for (const when of ['before', 'after']) {
  test(`COMMIT lost with the connection (server drops it ${when} committing): in doubt, check before retrying`, async () => {
    await withServerAndClient(['--drop-on-commit', when], { CONNECTION_POOL_SIZE: '1' }, async (client) => {
      const label = `in-doubt-${when}`;
      const r = await call(client, 'insert_data', { sql: `INSERT INTO Region (Region_Libelle) VALUES (N'${label}')` });
      assert.equal(r.isError, true, text(r).slice(0, 500));
      const msg = text(r);
      assert.match(msg, /outcome (of the COMMIT )?is unknown/i);
      assert.match(msg, /may or may not have been (applied|committed)/);
      assert.match(msg, /check .*before retrying|do not retry/i);
      assert.equal(r.structuredContent.error.in_doubt, true);
      assert.equal(r.structuredContent.error.outcome, 'unknown');
      // What the server really did differs, which is exactly why the model must check.
      const q = await call(client, 'read_data', { query: `SELECT COUNT(*) AS n FROM Region WHERE Region_Libelle = N'${label}'` });
      assert.equal(q.isError, false, text(q));
      assert.equal(Number(q.structuredContent.rows[0][0]), when === 'after' ? 1 : 0);
    });
  });
}

test('a write that fails before COMMIT is not in doubt (not applied)', async () => {
  await withServerAndClient([], { CONNECTION_POOL_SIZE: '1' }, async (client) => {
    const r = await call(client, 'insert_data', { sql: "INSERT INTO no_such_table (x) VALUES (1)" });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.error.in_doubt, undefined);
    assert.doesNotMatch(text(r), /outcome is unknown/i);
  });
});
