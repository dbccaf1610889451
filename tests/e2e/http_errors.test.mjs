// Streamable HTTP: every bad input gets its exact HTTP status and a JSON-RPC error body (never
// HTML, stack traces or paths); security defaults (Origin/Host, bearer token, CORS, limits, gzip).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { demoDbFactory, startHttp, openSession, initBody, waitInFlight } from './http_lib.mjs';

let dbs, srv, sid;
before(async () => {
  dbs = await demoDbFactory();
  srv = await startHttp({ SQLITE_PATH: dbs.master, MCP_MAX_STREAM_SIZE: '4096' });
  sid = await openSession(srv.url);
});
after(async () => {
  await srv.stop();
  dbs.cleanup();
});

/** A raw HTTP/1.1 request with exactly these headers (fetch would add Accept and fix Host). */
function raw(port, { method = 'POST', path = '/mcp', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, setHost: !('Host' in headers) }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let buf = Buffer.concat(chunks);
        if (res.headers['content-encoding'] === 'gzip') buf = gunzipSync(buf);
        const text = buf.toString();
        let json;
        if ((res.headers['content-type'] || '').startsWith('application/json') && text) json = JSON.parse(text);
        resolve({ status: res.statusCode, headers: res.headers, text, json, wire: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const H = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });

function assertJsonRpcError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.equal(r.json.jsonrpc, '2.0');
  if (code !== undefined) assert.equal(r.json.error.code, code);
  assert.ok(!/<html|\/work\/|\.cpp|Traceback/i.test(r.text), 'no HTML, paths or traces');
}

test('400 + -32700 for truncated JSON', async () => {
  const r = await raw(srv.port, { headers: { ...H, 'Mcp-Session-Id': sid }, body: '{"jsonrpc":"2.0","id":1,"method":"pi' });
  assertJsonRpcError(r, 400, -32700);
});

test('400 + -32600 for JSON that is not JSON-RPC', async () => {
  for (const body of ['{"hello":"world"}', '42', '[]', '{"jsonrpc":"1.0","id":1,"method":"ping"}']) {
    const r = await raw(srv.port, { headers: { ...H, 'Mcp-Session-Id': sid }, body });
    assertJsonRpcError(r, 400, -32600);
  }
  const withId = await raw(srv.port, { headers: { ...H, 'Mcp-Session-Id': sid }, body: '{"jsonrpc":"2.0","id":7}' });
  assertJsonRpcError(withId, 400, -32600);
  assert.equal(withId.json.id, 7);
});

test('415 for a wrong Content-Type', async () => {
  const r = await raw(srv.port, { headers: { ...H, 'Content-Type': 'text/plain', 'Mcp-Session-Id': sid }, body: ping });
  assertJsonRpcError(r, 415);
});

test('406 when Accept is missing or accepts neither JSON nor SSE', async () => {
  const r = await raw(srv.port, { headers: { 'Content-Type': 'application/json', 'Mcp-Session-Id': sid }, body: ping });
  assertJsonRpcError(r, 406);
  const r2 = await raw(srv.port, { headers: { ...H, Accept: 'text/html', 'Mcp-Session-Id': sid }, body: ping });
  assertJsonRpcError(r2, 406);
  const g = await raw(srv.port, { method: 'GET', headers: { Accept: 'application/json', 'Mcp-Session-Id': sid } });
  assertJsonRpcError(g, 406);
});

test('413 for a body over MCP_MAX_STREAM_SIZE', async () => {
  const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(5000) } });
  const r = await raw(srv.port, { headers: { ...H, 'Mcp-Session-Id': sid }, body: big });
  assertJsonRpcError(r, 413);
});

test('431 for oversized request headers', async () => {
  const r = await raw(srv.port, { headers: { ...H, 'Mcp-Session-Id': sid, 'X-Big': 'b'.repeat(20000) }, body: ping });
  assertJsonRpcError(r, 431);
});

test('400 without Mcp-Session-Id, 404 for an unknown session, 404 for an unknown path, 405 for PUT', async () => {
  assertJsonRpcError(await raw(srv.port, { headers: H, body: ping }), 400, -32600);
  assertJsonRpcError(await raw(srv.port, { headers: { ...H, 'Mcp-Session-Id': 'f'.repeat(32) }, body: ping }), 404, -32001);
  assertJsonRpcError(await raw(srv.port, { method: 'DELETE', headers: { 'Mcp-Session-Id': 'nope' } }), 404);
  assertJsonRpcError(await raw(srv.port, { method: 'GET', headers: { Accept: 'text/event-stream' } }), 400);
  assertJsonRpcError(await raw(srv.port, { path: '/nope', headers: H, body: ping }), 404);
  const put = await raw(srv.port, { method: 'PUT', headers: { ...H, 'Mcp-Session-Id': sid }, body: ping });
  assertJsonRpcError(put, 405);
  assert.match(put.headers.allow, /POST/);
});

test('400 for an unsupported MCP-Protocol-Version on a session', async () => {
  const r = await raw(srv.port, { headers: { ...H, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '1999-01-01' }, body: ping });
  assertJsonRpcError(r, 400);
  const ok = await raw(srv.port, { headers: { ...H, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' }, body: ping });
  assert.equal(ok.status, 200);
});

test('403 for a foreign Origin and for a rebinding Host; loopback origins pass', async () => {
  const evil = await raw(srv.port, { headers: { ...H, Origin: 'https://evil.example', 'Mcp-Session-Id': sid }, body: ping });
  assertJsonRpcError(evil, 403);
  const nul = await raw(srv.port, { headers: { ...H, Origin: 'null', 'Mcp-Session-Id': sid }, body: ping });
  assertJsonRpcError(nul, 403);
  const host = await raw(srv.port, { headers: { ...H, Host: `attacker.example:${srv.port}`, 'Mcp-Session-Id': sid }, body: ping });
  assertJsonRpcError(host, 403);
  const hostHealth = await raw(srv.port, { method: 'GET', path: '/health', headers: { Host: 'attacker.example' } });
  assertJsonRpcError(hostHealth, 403);
  const local = await raw(srv.port, { headers: { ...H, Origin: `http://localhost:${srv.port}`, 'Mcp-Session-Id': sid }, body: ping });
  assert.equal(local.status, 200);
  const lh = await raw(srv.port, { headers: { ...H, Host: `localhost:${srv.port}`, 'Mcp-Session-Id': sid }, body: ping });
  assert.equal(lh.status, 200);
});

test('MCP_ALLOWED_HOSTS: the listed name is served, other names and non-loopback IPs on a loopback bind are not', async () => {
  const s = await startHttp({ SQLITE_PATH: dbs.master, MCP_ALLOWED_HOSTS: 'mcp.example.test, Other.Example.Test' });
  try {
    const listed = await raw(s.port, { method: 'GET', path: '/health', headers: { Host: `mcp.example.test:${s.port}` } });
    assert.equal(listed.status, 200);
    const second = await raw(s.port, { method: 'GET', path: '/health', headers: { Host: 'other.example.test' } });
    assert.equal(second.status, 200, 'case-insensitive, blanks trimmed');
    const unlisted = await raw(s.port, { method: 'GET', path: '/health', headers: { Host: 'mcp.example.test.attacker.example' } });
    assertJsonRpcError(unlisted, 403);
    const ip = await raw(s.port, { method: 'GET', path: '/health', headers: { Host: `10.1.2.3:${s.port}` } });
    assertJsonRpcError(ip, 403);  // IP hosts are only implied on non-loopback binds
  } finally {
    await s.stop();
  }
});

test('MCP_ALLOWED_ORIGINS and CORS: preflight, exposed Mcp-Session-Id', async () => {
  const s = await startHttp({ SQLITE_PATH: dbs.master, MCP_ENABLE_CORS: 'true', MCP_ALLOWED_ORIGINS: 'https://app.example.com' });
  try {
    const pre = await raw(s.port, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, mcp-session-id' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.match(pre.headers['access-control-allow-methods'], /POST/);
    assert.match(pre.headers['access-control-allow-headers'], /Mcp-Session-Id/);
    const init = await raw(s.port, { headers: { ...H, Origin: 'https://app.example.com' }, body: JSON.stringify(initBody()) });
    assert.equal(init.status, 200);
    assert.match(init.headers['access-control-expose-headers'], /Mcp-Session-Id/);
    assert.ok(init.headers['mcp-session-id']);
    const other = await raw(s.port, { headers: { ...H, Origin: 'https://other.example.com' }, body: JSON.stringify(initBody()) });
    assert.equal(other.status, 403);
  } finally {
    await s.stop();
  }
});

test('401 + WWW-Authenticate: Bearer without or with a wrong token (MCP_AUTH_TOKEN); the token is never logged', async () => {
  const token = 'tok-' + 'Z'.repeat(20);
  const s = await startHttp({ SQLITE_PATH: dbs.master, MCP_AUTH_TOKEN: token, LOG_LEVEL: 'debug' });
  try {
    const none = await raw(s.port, { headers: H, body: JSON.stringify(initBody()) });
    assertJsonRpcError(none, 401);
    assert.match(none.headers['www-authenticate'], /^Bearer/);
    const wrong = await raw(s.port, { headers: { ...H, Authorization: 'Bearer nope' }, body: JSON.stringify(initBody()) });
    assertJsonRpcError(wrong, 401);
    assert.match(wrong.headers['www-authenticate'], /invalid_token/);
    const prefix = await raw(s.port, { headers: { ...H, Authorization: `Bearer ${token.slice(0, -1)}` }, body: JSON.stringify(initBody()) });
    assert.equal(prefix.status, 401);
    const ok = await raw(s.port, { headers: { ...H, Authorization: `Bearer ${token}` }, body: JSON.stringify(initBody()) });
    assert.equal(ok.status, 200);
    const health = await raw(s.port, { method: 'GET', path: '/health' });
    assert.equal(health.status, 200, '/health stays open for probes');
  } finally {
    await s.stop();
    assert.ok(!s.stderr.includes('ZZZZZZZZZZ'), 'token not in logs');
  }
});

test('503 + Retry-After beyond MCP_MAX_CONCURRENT_REQUESTS', async () => {
  const s = await startHttp({ SQLITE_PATH: dbs.master, MCP_MAX_CONCURRENT_REQUESTS: '1', MCP_JSON_RESPONSE: 'true' });
  try {
    const id = await openSession(s.url);
    const slow = JSON.stringify({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'read_data', arguments: {
      query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000) SELECT count(*) AS n FROM c' } } });
    const first = raw(s.port, { headers: { ...H, 'Mcp-Session-Id': id }, body: slow });
    await waitInFlight(s.base, 1);
    const second = await raw(s.port, { headers: { ...H, 'Mcp-Session-Id': id }, body: ping });
    assertJsonRpcError(second, 503, -32000);
    assert.ok(Number(second.headers['retry-after']) >= 1);
    const f = await first;
    assert.equal(f.status, 200);
  } finally {
    await s.stop();
  }
});

test('gzip for large responses when accepted; identity otherwise', async () => {
  const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  const z = await raw(srv.port, { headers: { ...H, 'Accept-Encoding': 'gzip', 'Mcp-Session-Id': sid }, body: list });
  assert.equal(z.status, 200);
  assert.equal(z.headers['content-encoding'], 'gzip');
  assert.ok(z.wire.length < z.text.length / 2, 'compressed on the wire');
  assert.match(z.text, /list_tables/);
  const plain = await raw(srv.port, { headers: { ...H, 'Mcp-Session-Id': sid }, body: list });
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.match(plain.text, /list_tables/);
});

test('a notification alone is answered 202 with no body', async () => {
  const r = await raw(srv.port, { headers: { ...H, 'Mcp-Session-Id': sid }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'none' } }) });
  assert.equal(r.status, 202);
  assert.equal(r.text, '');
});

test('malformed HTTP (bad request line, bad chunking, garbage) gets 400 or a closed connection; the server keeps serving', async () => {
  const { connect } = await import('node:net');
  const send = (bytes) => new Promise((resolve) => {
    const sock = connect(srv.port, '127.0.0.1');
    let got = '';
    sock.on('data', (d) => { got += d.toString(); });
    sock.on('close', () => resolve(got));
    sock.on('error', () => resolve(got));
    sock.write(bytes);
    setTimeout(() => sock.end(), 300);
  });
  const cases = [
    'NOT AN HTTP REQUEST\r\n\r\n',
    'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    'GET /health HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n',
    Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256)),
  ];
  let answered = 0;
  for (const c of cases) {
    const reply = await send(c);
    if (reply) {
      answered++;
      assert.match(reply, /^HTTP\/1\.1 400 /, JSON.stringify(reply.slice(0, 80)));
      assert.ok(!/<html/i.test(reply));
    }
  }
  assert.ok(answered >= 3, `${answered} of ${cases.length} malformed requests were answered with 400`);
  const health = await raw(srv.port, { method: 'GET', path: '/health' });
  assert.equal(health.status, 200);
});
