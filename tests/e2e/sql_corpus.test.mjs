// The adversarial classifier corpus (tests/data/sql_corpus.tsv) run through the REAL binary on both
// backends: every case goes to read_data (and refused write cases to their own tool), the verdict must
// match the corpus, and the database must be logically unchanged afterwards (a dump of every table,
// taken with the sqlite3 CLI — independent of our code — before and after). On SQL Server the data
// lives in the Python TDS test server's SQLite file, so the same independent check applies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RawStdio, tempDir, makeDemoDb, rmSync, SRC, startTdsServer, sqlServerEnv } from './lib.mjs';

/** Decodes the corpus escapes (see the header of the TSV) into bytes. */
function decode(field) {
  const out = [];
  const push = (s) => { for (const b of Buffer.from(s, 'utf8')) out.push(b); };
  const simple = { n: 10, r: 13, t: 9, v: 11, f: 12, '\\': 92 };
  for (let i = 0; i < field.length;) {
    const c = field[i];
    if (c === '\\' && i + 1 < field.length) {
      const n = field[i + 1];
      if (n in simple) { out.push(simple[n]); i += 2; continue; }
      if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(field.slice(i + 2, i + 4))) {
        out.push(parseInt(field.slice(i + 2, i + 4), 16)); i += 4; continue;
      }
      const m = /^\\R\{(\d+)\}\{([^}]*)\}/.exec(field.slice(i));
      if (m) { push(m[2].repeat(Number(m[1]))); i += m[0].length; continue; }
    }
    const cp = field.codePointAt(i);
    push(String.fromCodePoint(cp));
    i += cp > 0xffff ? 2 : 1;
  }
  return Buffer.from(out);
}

function loadCorpus() {
  const lines = readFileSync(path.join(SRC, 'tests/data/sql_corpus.tsv'), 'utf8').split('\n');
  const cases = [];
  let header = null;
  for (const line of lines) {
    if (!line || line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (!header) { header = cols; continue; }
    const [id, tool, dialect, expect, rule, ...rest] = cols;
    const bytes = decode(rest.join('\t'));
    let sql;
    try {
      sql = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      sql = null;  // invalid UTF-8 cannot travel in JSON: covered by the unit test only
    }
    cases.push({ id, tool, dialect, expect, rule, sql });
  }
  return cases;
}

const corpus = loadCorpus();

/** A logical checksum of every table: the sqlite3 CLI's .dump, hashed. */
function dumpHash(dbFile) {
  const dump = execFileSync('sqlite3', [dbFile, '.dump'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return createHash('sha256').update(dump).digest('hex');
}

const toolFor = { read: 'read_data', insert: 'insert_data', modify: 'update_data', modify_merge: 'update_data', modify_nowhere: 'update_data' };

function argsFor(c) {
  if (c.tool === 'read') return { query: c.sql };
  if (c.tool === 'insert') return { sql: c.sql };
  if (c.tool === 'modify_nowhere') return { sql: c.sql, allow_no_where: true };
  if (c.tool === 'modify_merge') return { sql: c.sql, allow_merge: true };
  return { sql: c.sql };
}

/** Runs the corpus for one dialect against a running binary; returns the failures as text. */
async function runCorpus(s, dialect) {
  const failures = [];
  let id = 0;
  let checked = 0;
  const call = async (name, args) => (await s.request(`c${++id}`, 'tools/call', { name, arguments: args })).result;
  for (const c of corpus) {
    if (c.sql === null) continue;
    if (c.dialect !== 'both' && c.dialect !== dialect) continue;
    if (c.tool === 'modify_merge' && dialect === 'sqlite') continue;
    // Beyond the tools' input limits (empty, over 1,000,000 characters): refused by the input schema instead.
    const outsideSchema = c.sql.length === 0 || Buffer.byteLength(c.sql) > 1000000;
    // 1. read_data: a read case must get exactly the corpus verdict; any other case must never run as a read
    //    unless the corpus itself says the text is an allowed read.
    const r = await call('read_data', { query: c.sql });
    const refusedRule = r.structuredContent?.error?.kind === 'refused' ? r.structuredContent.error.rule : null;
    if (c.tool === 'read') {
      checked++;
      if (c.expect === 'refused') {
        if (outsideSchema) {
          if (!r.isError) failures.push(`${c.id}: oversize input was not refused`);
        } else if (refusedRule !== c.rule) {
          failures.push(`${c.id}: expected refusal '${c.rule}', got ${refusedRule ?? (r.isError ? 'error: ' + r.content?.[0]?.text : 'success')}`);
        }
      } else if (refusedRule !== null) {
        failures.push(`${c.id}: expected allowed, refused by '${refusedRule}'`);
      }
    } else if (/^\s*(INSERT|UPDATE|DELETE|MERGE)\b/i.test(c.sql) && !r.isError) {
      failures.push(`${c.id}: a ${c.tool} statement ran through read_data`);
    }
    // 2. refused write cases through their own tool: refused with the corpus rule (allowed writes are not run:
    //    they would change the database; their verdicts are covered by the classifier's unit test).
    if (c.tool !== 'read' && c.expect === 'refused') {
      checked++;
      const w = await call(toolFor[c.tool], argsFor(c));
      const wRule = w.structuredContent?.error?.kind === 'refused' ? w.structuredContent.error.rule : null;
      if (outsideSchema ? !w.isError : wRule !== c.rule) {
        failures.push(`${c.id}: ${toolFor[c.tool]} expected refusal '${c.rule}', got ${wRule ?? (w.isError ? 'error: ' + w.content?.[0]?.text : 'success')}`);
      }
    }
  }
  return { failures, checked };
}

let dir;
before(() => { dir = tempDir('azsql-corpus-'); });
after(() => rmSync(dir, { recursive: true, force: true }));

test('corpus on SQLite: every verdict as expected, database unchanged', async () => {
  const db = path.join(dir, 'demo.db');
  await makeDemoDb(db);
  const before = dumpHash(db);
  const s = new RawStdio({ SQLITE_PATH: db, MCP_QUERY_TIMEOUT: '5' });
  try {
    await s.initialize('2025-11-25');
    const { failures, checked } = await runCorpus(s, 'sqlite');
    assert.ok(checked >= 150, `only ${checked} SQLite cases checked`);
    assert.deepEqual(failures, []);
  } finally {
    await s.close();
  }
  assert.equal(dumpHash(db), before, 'the SQLite database changed');
});

test('corpus on SQL Server (TDS test server): every verdict as expected, database unchanged', async () => {
  const dbFile = path.join(dir, 'tds.sqlite');
  const srv = await startTdsServer(['--db', dbFile]);
  try {
    const before = dumpHash(dbFile);
    const s = new RawStdio(sqlServerEnv(srv, { MCP_QUERY_TIMEOUT: '5' }));
    try {
      await s.initialize('2025-11-25');
      const { failures, checked } = await runCorpus(s, 'tsql');
      assert.ok(checked >= 150, `only ${checked} T-SQL cases checked`);
      assert.deepEqual(failures, []);
    } finally {
      await s.close();
    }
    assert.equal(dumpHash(dbFile), before, 'the SQL Server test database changed');
  } finally {
    srv.stop();
  }
});
