// A database that cannot be reached at start does not stop the server: the real binary starts against
// a closed port, answers initialize and tools/list, reports the failure with its diagnosis on /health
// (503) and in tool calls, and works on the next call once the Python TDS test server listens on that
// port — no restart. MCP_FAIL_FAST=true keeps the old behaviour (exit 1 with the diagnosis).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BIN, tempDir, rmSync, startTdsServer, sqlServerEnv } from './lib.mjs';
import { startHttp, connectSdk } from './http_lib.mjs';

let dir, port, cert;
before(async () => {
  dir = tempDir('azsql-resilience-');
  // Run the test server once to create its certificate and learn a free port, then close that port.
  const first = await startTdsServer(['--gen-cert', path.join(dir, 'cert')]);
  port = first.port;
  cert = first.cert;
  first.stop();
  await new Promise((r) => first.proc.on('exit', r));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra = {}) => sqlServerEnv({ port, cert }, { AZURE_SQL_CONNECTION_TIMEOUT: '5', ...extra });

test('starts against a closed port, reports the diagnosis, recovers without a restart', async () => {
  const srv = await startHttp(env());
  let tds;
  let client;
  try {
    // /health: 503 with the reason and its diagnosis.
    const h = await fetch(`${srv.base}/health`);
    assert.equal(h.status, 503);
    const body = await h.json();
    assert.equal(body.status, 'unhealthy');
    assert.match(body.database.error, /Connection refused/i);
    assert.match(body.database.error, /Cause: nothing accepts connections at 127\.0\.0\.1.*Fix: /);
    // The protocol works without the database.
    ({ client } = await connectSdk(srv.url));
    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === 'read_data'));
    const r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT 1 AS one' } });
    assert.ok(r.isError);
    assert.match(r.content[0].text, /not reachable right now .*Connection refused.*Cause: .*Fix: /s);
    // The start-up log says it serves anyway.
    for (let i = 0; i < 100 && !/database not reachable/.test(srv.stderr); i++) await new Promise((res) => setTimeout(res, 50));
    assert.match(srv.stderr, /database not reachable: .*serving anyway/);
    // Open the port: the next call works.
    tds = await startTdsServer(['--port', String(port), '--gen-cert', path.join(dir, 'cert')]);
    assert.equal(tds.port, port);
    const ok = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT 1 AS one' } });
    assert.ok(!ok.isError, ok.content[0].text);
    assert.deepEqual(ok.structuredContent.rows, [[1]]);
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      status = (await fetch(`${srv.base}/health`)).status;
      if (status !== 200) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(status, 200);
  } finally {
    await client?.close();
    await srv.stop();
    tds?.stop();
  }
});

test('MCP_FAIL_FAST=true exits at start with the diagnosis', async () => {
  const p = spawn(BIN, ['--port', '0'], { env: { PATH: process.env.PATH, HOME: dir, ...env({ MCP_FAIL_FAST: 'true' }) } });
  let err = '';
  p.stderr.on('data', (d) => { err += d.toString(); });
  const code = await new Promise((r) => p.on('exit', r));
  assert.equal(code, 1);
  assert.match(err, /cannot open the database: .*Connection refused.*Cause: .*Fix: /s);
});
