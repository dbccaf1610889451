// End-to-end: the stateless 2026-07-28 revision with the official v2 SDK client
// (@modelcontextprotocol/client, versionNegotiation pinned and auto) over Streamable HTTP and
// stdio, calling every tool, reading every resource and getting every prompt of the real binary;
// the v1 SDK (@modelcontextprotocol/sdk, 2025 era) against the same running server; and
// update_data's confirmation flow (elicitation in 2025, InputRequiredResult in 2026-07-28).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN } from './lib.mjs';
import { demoDbFactory, startHttp } from './http_lib.mjs';

const MODERN = '2026-07-28';
let dbs;
before(async () => { dbs = await demoDbFactory(); });
after(() => dbs?.cleanup());

/** Arguments that make every tool succeed on the demo database (`tag` keeps inserted names unique). */
const toolArgs = (tag) => ({
  list_tables: {},
  describe_table: { table_name: 'Article' },
  read_data: { query: 'SELECT * FROM Article WHERE RegionId = 1 LIMIT 3' },
  insert_data: { sql: 'INSERT INTO Region (Region_Libelle) VALUES (?)', parameters: [`Modern e2e ${tag}`] },
  update_data: { sql: 'UPDATE Region SET Region_Libelle = ? WHERE Region_Libelle = ?', parameters: [`Modern e2e ${tag} 2`, `Modern e2e ${tag}`] },
  database_info: {},
  list_available_tools: {},
  health_check: {},
  explain_query: { query: 'SELECT * FROM Article WHERE RegionId = 1' },
  search_objects: { pattern: 'Art' },
});
let tags = 0;
const PROMPT_ARGS = {
  sql_query_builder: { table: 'Article', operation: 'SELECT' },
  analyze_performance: { query: 'SELECT * FROM Article WHERE RegionId = 1' },
  data_migration_guide: {},
  database_troubleshooting: {},
};

/** Lists and uses everything the server offers through an SDK client (v1 or v2: same surface). */
async function exerciseEverything(client) {
  const TOOL_ARGS = toolArgs(++tags);
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(TOOL_ARGS).sort());
  for (const t of tools) {
    const r = await client.callTool({ name: t.name, arguments: TOOL_ARGS[t.name] });
    assert.equal(r.isError, false, `${t.name}: ${r.content?.[0]?.text}`);
    assert.ok(r.content.length > 0 && typeof r.content[0].text === 'string', t.name);
    if (t.outputSchema) assert.equal(typeof r.structuredContent, 'object', t.name);
  }
  const { resources } = await client.listResources();
  assert.ok(resources.length >= 3);
  for (const res of resources) {
    const r = await client.readResource({ uri: res.uri });
    assert.ok(r.contents.length > 0 && r.contents[0].uri, res.uri);
    assert.doesNotThrow(() => JSON.parse(r.contents[0].text), res.uri);
  }
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.ok(resourceTemplates.length >= 1);
  for (const tpl of resourceTemplates) {
    const uri = tpl.uriTemplate.replace(/\{[^}]+\}/, 'Article');
    const r = await client.readResource({ uri });
    assert.match(r.contents[0].text, /Article/);
  }
  const { prompts } = await client.listPrompts();
  assert.deepEqual(prompts.map((p) => p.name).sort(), Object.keys(PROMPT_ARGS).sort());
  for (const p of prompts) {
    const r = await client.getPrompt({ name: p.name, arguments: PROMPT_ARGS[p.name] });
    assert.ok(r.messages.length > 0 && r.messages[0].content.text.length > 0, p.name);
  }
  const c = await client.complete({ ref: { type: 'ref/prompt', name: 'sql_query_builder' }, argument: { name: 'table', value: 'Art' } });
  assert.ok(c.completion.values.includes('Article'), JSON.stringify(c.completion));
}

function v2(mode, capabilities = {}) {
  return new ClientV2({ name: 'azsql-modern-e2e', version: '1.0.0' }, { capabilities, versionNegotiation: { mode } });
}

function stdioV2(db) {
  return new StdioV2({
    command: BIN,
    args: ['--transport', 'stdio'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', LOG_LEVEL: 'warning', SQLITE_PATH: db },
    stderr: 'pipe',
  });
}

for (const [label, mode] of [['pinned', { pin: MODERN }], ['auto', 'auto']]) {
  test(`v2 SDK (${label}) over HTTP negotiates 2026-07-28 and uses every tool, resource and prompt; v1 SDK on the same server`, async () => {
    const srv = await startHttp({ SQLITE_PATH: dbs.fresh() });
    try {
      const client = v2(mode);
      await client.connect(new HttpV2(new URL(srv.url)));
      assert.equal(client.getProtocolEra(), 'modern');
      assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
      assert.equal(client.getDiscoverResult()?.supportedVersions?.[0], MODERN);
      await exerciseEverything(client);
      // The v1 SDK (2025 era, initialize + session) against the same running server.
      const legacy = new ClientV1({ name: 'azsql-v1-e2e', version: '1.0.0' }, { capabilities: {} });
      await legacy.connect(new HttpV1(new URL(srv.url)));
      assert.equal(legacy.getServerVersion().name, 'azsql-mcp');
      await exerciseEverything(legacy);
      await legacy.close();
      await client.close();
    } finally {
      await srv.stop();
    }
  });

  test(`v2 SDK (${label}) over stdio negotiates 2026-07-28 and uses every tool, resource and prompt`, async () => {
    const client = v2(mode);
    await client.connect(stdioV2(dbs.fresh()));
    try {
      assert.equal(client.getProtocolEra(), 'modern');
      assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
      await exerciseEverything(client);
    } finally {
      await client.close();
    }
  });
}

const BIG_UPDATE = { sql: 'UPDATE Article SET Stock = Stock + 1 WHERE Article_Id > 0', max_rows: 1 };

for (const transport of ['http', 'stdio']) {
  test(`update_data over ${transport} (2026-07-28): more rows than max_rows are changed only after the user confirms (InputRequiredResult)`, async () => {
    const db = dbs.fresh();
    const srv = transport === 'http' ? await startHttp({ SQLITE_PATH: db }) : null;
    const connect = async (answer) => {
      const client = v2({ pin: MODERN }, { elicitation: {} });
      const asked = [];
      client.setRequestHandler('elicitation/create', async (req) => {
        asked.push(req.params);
        return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
      });
      await client.connect(transport === 'http' ? new HttpV2(new URL(srv.url)) : stdioV2(db));
      return { client, asked };
    };
    try {
      const declined = await connect('decline');
      let r = await declined.client.callTool({ name: 'update_data', arguments: BIG_UPDATE });
      assert.equal(declined.asked.length, 1);
      assert.match(declined.asked[0].message, /would change \d+ rows, more than max_rows 1/);
      assert.equal(r.isError, true);
      assert.equal(r.structuredContent.committed, false);
      assert.equal(r.structuredContent.error.kind, 'declined');
      await declined.client.close();

      const accepted = await connect('accept');
      r = await accepted.client.callTool({ name: 'update_data', arguments: BIG_UPDATE });
      assert.equal(accepted.asked.length, 1);
      assert.equal(r.isError, false, r.content[0].text);
      assert.equal(r.structuredContent.committed, true);
      assert.equal(r.structuredContent.confirmed, true);
      assert.ok(r.structuredContent.rows_affected > 1);
      // Within max_rows nothing is asked.
      r = await accepted.client.callTool({ name: 'update_data', arguments: { ...BIG_UPDATE, max_rows: 100000 } });
      assert.equal(r.isError, false);
      assert.equal(accepted.asked.length, 1);
      await accepted.client.close();

      // Without the elicitation capability the statement is rolled back as before.
      const plain = v2({ pin: MODERN });
      await plain.connect(transport === 'http' ? new HttpV2(new URL(srv.url)) : stdioV2(db));
      r = await plain.callTool({ name: 'update_data', arguments: BIG_UPDATE });
      assert.equal(r.isError, true);
      assert.equal(r.structuredContent.error.rule, 'max_rows');
      await plain.close();
    } finally {
      await srv?.stop();
    }
  });
}

for (const transport of ['http', 'stdio']) {
test(`update_data with the v1 SDK (2025-11-25) over ${transport} asks through elicitation/create`, async () => {
  const db = dbs.fresh();
  const srv = transport === 'http' ? await startHttp({ SQLITE_PATH: db }) : null;
  try {
    const client = new ClientV1({ name: 'azsql-v1-e2e', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    const { ElicitRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    const asked = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params);
      return { action: 'accept', content: { confirm: true } };
    });
    await client.connect(transport === 'http'
      ? new HttpV1(new URL(srv.url))
      : new StdioV1({ command: BIN, args: ['--transport', 'stdio'], env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', LOG_LEVEL: 'warning', SQLITE_PATH: db }, stderr: 'pipe' }));
    const r = await client.callTool({ name: 'update_data', arguments: BIG_UPDATE });
    assert.equal(asked.length, 1);
    assert.equal(asked[0].requestedSchema.properties.confirm.type, 'boolean');
    assert.equal(r.isError, false, r.content[0].text);
    assert.equal(r.structuredContent.confirmed, true);
    await client.close();
  } finally {
    await srv?.stop();
  }
});
}
