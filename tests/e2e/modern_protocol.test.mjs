// Protocol-level end-to-end tests of the stateless 2026-07-28 revision against the real binary,
// with raw JSON-RPC over Streamable HTTP and stdio. Every message we produce is validated against
// the official 2026-07-28 JSON schema (../shared/mcp-schema/2026-07-28/schema.json).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawStdio, schemaValidator } from './lib.mjs';
import { demoDbFactory, startHttp } from './http_lib.mjs';

const V = '2026-07-28';
const validate = schemaValidator(V);
const meta = (extra = {}) => ({
  'io.modelcontextprotocol/protocolVersion': V,
  'io.modelcontextprotocol/clientInfo': { name: 'modern-raw', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
  ...extra,
});
const NAME_OF = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

let dbs, srv;
before(async () => {
  dbs = await demoDbFactory();
  srv = await startHttp({ SQLITE_PATH: dbs.fresh() });
});
after(async () => {
  await srv?.stop();
  dbs?.cleanup();
});

let nextId = 1;
/** One conformant 2026-07-28 POST; `headers` override the standard ones. Returns { status, body, events }. */
async function rpc(method, params = {}, { headers = {}, metaExtra = {}, rawParams = false } = {}) {
  const id = nextId++;
  const p = rawParams ? params : { ...params, _meta: meta(metaExtra) };
  const std = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': V, 'Mcp-Method': method };
  if (NAME_OF[method] && typeof params[NAME_OF[method]] === 'string') std['Mcp-Name'] = params[NAME_OF[method]];
  const res = await fetch(srv.url, { method: 'POST', headers: { ...std, ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id, method, params: p }) });
  const text = await res.text();
  let body;
  let events = [];
  if ((res.headers.get('content-type') || '').includes('text/event-stream')) {
    events = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5)));
    body = events.find((e) => e.id === id);
  } else {
    body = text ? JSON.parse(text) : undefined;
  }
  assert.equal(res.headers.get('mcp-session-id'), null, 'no sessions in 2026-07-28');
  return { status: res.status, body, events, id };
}

function valid(def, value) {
  const problem = validate(def, value);
  assert.equal(problem, null, `${def}: ${problem}\n${JSON.stringify(value).slice(0, 400)}`);
}

test('every 2026-07-28 result validates against the schema, carries resultType and (for lists/reads) cache hints', async () => {
  const d = await rpc('server/discover');
  assert.equal(d.status, 200);
  valid('DiscoverResultResponse', d.body);
  assert.deepEqual(d.body.result.supportedVersions.slice(0, 1), [V]);
  assert.equal(d.body.result._meta['io.modelcontextprotocol/serverInfo'].name, 'azsql-mcp');

  const cases = [
    ['tools/list', {}, 'ListToolsResultResponse', true],
    ['resources/list', {}, 'ListResourcesResultResponse', true],
    ['resources/templates/list', {}, 'ListResourceTemplatesResultResponse', true],
    ['prompts/list', {}, 'ListPromptsResultResponse', true],
    ['resources/read', { uri: 'database://tables' }, 'ReadResourceResultResponse', true],
    ['resources/read', { uri: 'database://tables/Article' }, 'ReadResourceResultResponse', true],
    ['tools/call', { name: 'list_tables', arguments: {} }, 'CallToolResultResponse', false],
    ['tools/call', { name: 'read_data', arguments: { query: 'SELECT * FROM Region LIMIT 2' } }, 'CallToolResultResponse', false],
    ['prompts/get', { name: 'sql_query_builder', arguments: { table: 'Article', operation: 'SELECT' } }, 'GetPromptResultResponse', false],
    ['completion/complete', { ref: { type: 'ref/prompt', name: 'sql_query_builder' }, argument: { name: 'table', value: 'Reg' } }, 'CompleteResultResponse', false],
  ];
  for (const [method, params, def, cacheable] of cases) {
    const r = await rpc(method, params);
    assert.equal(r.status, 200, method);
    valid(def, r.body);
    assert.equal(r.body.result.resultType, 'complete', method);
    if (cacheable) {
      assert.ok(Number.isInteger(r.body.result.ttlMs) && r.body.result.ttlMs >= 0, method);
      assert.ok(['public', 'private'].includes(r.body.result.cacheScope), method);
    }
  }
});

test('2026-07-28 errors: -32602/-32020/-32022 → 400, -32601 → 404, always with the request id', async () => {
  let r = await rpc('tools/list', { _meta: { 'io.modelcontextprotocol/clientCapabilities': {} } }, { rawParams: true });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32602);
  assert.equal(r.body.id, r.id);
  valid('JSONRPCErrorResponse', r.body);
  valid('InvalidParamsError', r.body.error);

  r = await rpc('tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': V } }, { rawParams: true });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32602);

  r = await rpc('tools/list', {}, { metaExtra: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' }, headers: { 'MCP-Protocol-Version': '2099-01-01' } });
  assert.equal(r.status, 400);
  valid('UnsupportedProtocolVersionError', r.body);
  assert.equal(r.body.error.data.requested, '2099-01-01');
  assert.ok(r.body.error.data.supported.includes(V));
  assert.equal(r.body.id, r.id);

  for (const [headers, why] of [
    [{ 'MCP-Protocol-Version': '2025-11-25' }, 'version header differs from _meta'],
    [{ 'Mcp-Method': 'prompts/list' }, 'Mcp-Method differs'],
    [{ 'Mcp-Name': 'read_data' }, 'Mcp-Name differs'],
  ]) {
    r = await rpc('tools/call', { name: 'list_tables', arguments: {} }, { headers });
    assert.equal(r.status, 400, why);
    valid('HeaderMismatchError', r.body);
    assert.equal(r.body.id, r.id, why);
  }
  // Whitespace around header values is not part of the value (RFC 9110 §5.5).
  r = await rpc('tools/call', { name: 'list_tables', arguments: {} }, { headers: { 'Mcp-Name': '  list_tables  ' } });
  assert.equal(r.status, 200);

  for (const method of ['nope/nothing', 'initialize', 'ping', 'logging/setLevel', 'resources/subscribe']) {
    r = await rpc(method, method === 'initialize' ? { protocolVersion: V, capabilities: {}, clientInfo: { name: 'x', version: '1' } } : {});
    assert.equal(r.status, 404, method);
    valid('JSONRPCErrorResponse', r.body);
    valid('MethodNotFoundError', r.body.error);
    assert.equal(r.body.id, r.id);
  }

  r = await rpc('resources/read', { uri: 'database://nothing-here' });
  assert.equal(r.body.error.code, -32602);
  assert.equal(r.body.id, r.id);

  for (const m of ['GET', 'DELETE']) {
    const res = await fetch(srv.url, { method: m, headers: { Accept: 'text/event-stream', 'MCP-Protocol-Version': V } });
    assert.equal(res.status, 405, m);
  }
});

test('no log notifications unless the request asks for a level; the level must be valid', async () => {
  // (Delivery at a requested level is covered by the core unit tests and the conformance fixtures.)
  const call = { name: 'read_data', arguments: { query: 'SELECT * FROM Region' } };
  const quiet = await rpc('tools/call', call);
  assert.equal(quiet.events.filter((e) => e.method === 'notifications/message').length, 0);
  const asked = await rpc('tools/call', call, { metaExtra: { 'io.modelcontextprotocol/logLevel': 'debug' } });
  valid('CallToolResultResponse', asked.body);
  for (const e of asked.events.filter((x) => x.method)) valid('LoggingMessageNotification', e);
  const bad = await rpc('tools/call', call, { metaExtra: { 'io.modelcontextprotocol/logLevel': 'loudest' } });
  assert.equal(bad.body.error.code, -32602);
});

test('update_data beyond max_rows answers InputRequiredResult; the signed requestState cannot be altered', async () => {
  const args = { sql: 'UPDATE Article SET Stock = Stock + 1 WHERE Article_Id > 0', max_rows: 1 };
  const caps = { 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
  const r1 = await rpc('tools/call', { name: 'update_data', arguments: args }, { metaExtra: caps });
  valid('CallToolResultResponse', r1.body);
  valid('InputRequiredResult', r1.body.result);
  assert.equal(r1.body.result.resultType, 'input_required');
  const req = r1.body.result.inputRequests.confirm_update;
  assert.equal(req.method, 'elicitation/create');
  valid('ElicitRequest', req);
  const state = r1.body.result.requestState;
  assert.equal(typeof state, 'string');

  const answer = { confirm_update: { action: 'accept', content: { confirm: true } } };
  const tampered = state.slice(0, -2) + (state.endsWith('00') ? '11' : '00');
  const bad = await rpc('tools/call', { name: 'update_data', arguments: args, inputResponses: answer, requestState: tampered }, { metaExtra: caps });
  assert.equal(bad.body.error.code, -32602);
  assert.equal(bad.body.id, bad.id);

  // The state is bound to the statement: another statement with the same answer is asked again.
  const other = { ...args, sql: 'UPDATE Article SET Stock = Stock + 2 WHERE Article_Id > 0' };
  const r2 = await rpc('tools/call', { name: 'update_data', arguments: other, inputResponses: answer, requestState: state }, { metaExtra: caps });
  assert.equal(r2.body.result.isError, true);

  const ok = await rpc('tools/call', { name: 'update_data', arguments: args, inputResponses: answer, requestState: state }, { metaExtra: caps });
  valid('CallToolResultResponse', ok.body);
  assert.equal(ok.body.result.resultType, 'complete');
  assert.equal(ok.body.result.structuredContent.committed, true);
  assert.equal(ok.body.result.structuredContent.confirmed, true);
});

test('subscriptions/listen: acknowledgement first, subscriptionId on every notification, updates after a write', async () => {
  const id = nextId++;
  const ctl = new AbortController();
  const res = await fetch(srv.url, {
    method: 'POST',
    signal: ctl.signal,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': V, 'Mcp-Method': 'subscriptions/listen' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { _meta: meta(), notifications: { resourceSubscriptions: ['database://tables', 'database://schema'] } } }),
  });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const frames = [];
  let buf = '';
  const readFrames = async (n, ms) => {
    const deadline = Date.now() + ms;
    while (frames.length < n && Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), new Promise((r) => setTimeout(() => r({ timeout: true }), deadline - Date.now()))]);
      if (chunk.timeout || chunk.done) break;
      buf += new TextDecoder().decode(chunk.value);
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line.startsWith('data:')) frames.push(JSON.parse(line.slice(5)));
      }
    }
  };
  await readFrames(1, 5000);
  assert.equal(frames[0]?.method, 'notifications/subscriptions/acknowledged');
  valid('SubscriptionsAcknowledgedNotification', frames[0]);
  assert.deepEqual(frames[0].params.notifications.resourceSubscriptions, ['database://tables', 'database://schema']);
  const w = await rpc('tools/call', { name: 'insert_data', arguments: { sql: "INSERT INTO Region (Region_Libelle) VALUES ('listen e2e')" } });
  assert.equal(w.body.result.isError, false);
  await readFrames(2, 5000);
  ctl.abort();
  assert.ok(frames.length >= 2, JSON.stringify(frames));
  for (const f of frames) assert.equal(f.params._meta['io.modelcontextprotocol/subscriptionId'], id);
  const upd = frames.find((f) => f.method === 'notifications/resources/updated');
  assert.ok(upd);
  valid('ResourceUpdatedNotification', upd);
});

test('stdio: 2026-07-28 requests are served statelessly beside the legacy session and validate', async () => {
  const s = new RawStdio({ SQLITE_PATH: dbs.fresh() });
  try {
    const d = await s.request(1, 'server/discover', { _meta: meta() });
    valid('DiscoverResultResponse', d);
    const l = await s.request(2, 'tools/list', { _meta: meta() });
    valid('ListToolsResultResponse', l);
    assert.equal(l.result.tools.length, 10);
    const c = await s.request(3, 'tools/call', { name: 'database_info', arguments: {}, _meta: meta() });
    valid('CallToolResultResponse', c);
    const e = await s.request(4, 'tools/list', { _meta: meta({ 'io.modelcontextprotocol/protocolVersion': '1999-01-01' }) });
    valid('UnsupportedProtocolVersionError', e);
    const m = await s.request(5, 'tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': V } });
    assert.equal(m.error.code, -32602);
    // The same connection can still run the 2025 handshake.
    const init = await s.initialize('2025-11-25');
    assert.equal(init.result.protocolVersion, '2025-11-25');
  } finally {
    await s.close();
  }
});

test('closing the response stream cancels the request and its database work', async () => {
  const own = await startHttp({ SQLITE_PATH: dbs.fresh() });
  try {
    const q = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 2000000000) SELECT count(*) FROM c';
    const ctl = new AbortController();
    const pending = fetch(own.url, {
      method: 'POST',
      signal: ctl.signal,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': V, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'read_data' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'read_data', arguments: { query: q }, _meta: meta() } }),
    }).then((r) => r.text()).catch((e) => e.name);
    await new Promise((r) => setTimeout(r, 300));
    ctl.abort();
    assert.equal(await pending, 'AbortError');
    // The server records the request as cancelled once the interrupted statement returns (bounded wait).
    let line = '';
    for (let i = 0; i < 100 && !line; i++) {
      const m = await fetch(own.base + '/metrics', { headers: { Accept: 'text/plain;version=0.0.4' } }).then((r) => r.text());
      line = m.split('\n').find((l) => l.startsWith('azsql_mcp_requests_total{') && l.includes('outcome="cancelled"') && l.includes('tool="read_data"')) || '';
      if (!line) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(line, / 1$/);
  } finally {
    await own.stop();
  }
});
