// "Writes run in one transaction guarded by max_rows": insert_data with INSERT ... SELECT through the real
// binary (official v1 SDK over stdio): more rows than max_rows roll back (the database, read with the
// sqlite3 CLI, is unchanged) unless the user confirms through elicitation, as for update_data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BIN, sqlite3 } from './lib.mjs';
import { demoDbFactory } from './http_lib.mjs';

let dbs;
before(async () => { dbs = await demoDbFactory(); });
after(() => dbs?.cleanup());

async function connect(db, answer) {
  const client = new Client({ name: 'insert-guard', version: '1.0.0' }, { capabilities: answer ? { elicitation: {} } : {} });
  const asked = [];
  if (answer) {
    const { ElicitRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message);
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
  }
  await client.connect(new StdioClientTransport({ command: BIN, args: ['--transport', 'stdio'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', LOG_LEVEL: 'warning', SQLITE_PATH: db }, stderr: 'pipe' }));
  return { client, asked };
}
const copy = (tag) => ({ sql: `INSERT INTO Region (Region_Libelle) SELECT '${tag} ' || Article_Id FROM Article` });
const regions = (db) => Number(sqlite3(db, 'SELECT count(*) FROM Region').trim());

test('INSERT ... SELECT beyond max_rows rolls back; within it, it commits', async () => {
  const db = dbs.fresh();
  const before = regions(db);
  const articles = Number(sqlite3(db, 'SELECT count(*) FROM Article').trim());
  const { client } = await connect(db, null);
  try {
    let r = await client.callTool({ name: 'insert_data', arguments: { ...copy('a'), max_rows: 100 } });
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.error.rule, 'max_rows');
    assert.equal(r.structuredContent.rows_affected, articles);
    assert.equal(r.structuredContent.committed, false);
    assert.match(r.content[0].text, /INSERT would change \d+ rows, more than max_rows 100; it was rolled back/);
    assert.equal(regions(db), before);
    // The default max_rows (1000) covers the 420 demo articles.
    r = await client.callTool({ name: 'insert_data', arguments: copy('b') });
    assert.equal(r.isError, false, r.content[0].text);
    assert.equal(r.structuredContent.rows_affected, articles);
    assert.equal(regions(db), before + articles);
  } finally {
    await client.close();
  }
});

test('INSERT ... SELECT beyond max_rows: the user confirms (elicitation) or declines', async () => {
  const db = dbs.fresh();
  const before = regions(db);
  const yes = await connect(db, 'accept');
  try {
    const r = await yes.client.callTool({ name: 'insert_data', arguments: { ...copy('c'), max_rows: 10 } });
    assert.equal(yes.asked.length, 1);
    assert.match(yes.asked[0], /INSERT would change \d+ rows, more than max_rows 10\. Apply it\?/);
    assert.equal(r.isError, false, r.content[0].text);
    assert.equal(r.structuredContent.confirmed, true);
    assert.ok(regions(db) > before + 10);
  } finally {
    await yes.client.close();
  }
  const after = regions(db);
  const no = await connect(db, 'decline');
  try {
    const r = await no.client.callTool({ name: 'insert_data', arguments: { ...copy('d'), max_rows: 10 } });
    assert.equal(no.asked.length, 1);
    assert.equal(r.isError, true);
    assert.equal(r.structuredContent.error.kind, 'declined');
    assert.equal(regions(db), after);
  } finally {
    await no.client.close();
  }
});
