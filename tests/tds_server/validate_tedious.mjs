#!/usr/bin/env node
// Validates tests/tds_server/tds_server.py with an independent client: tedious (npm).
// Run with Node 22: node tests/tds_server/validate_tedious.mjs   (exit code != 0 on failure)
// Checks: FEDAUTH access-token login (encrypt:true + trustServerCertificate), TDS 8.0 encrypt:'strict',
// typed reads of types_demo against types_demo.json, sp_executesql parameters, error numbers,
// routing redirect (ENVCHANGE 20) followed, wrong token rejected with 18456, 40613 transient retry,
// ATTENTION cancel of WAITFOR.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const require = createRequire(path.join(repo, 'package.json'));
const { Connection, Request, TYPES } = require('tedious');
const demo = JSON.parse(readFileSync(path.join(here, 'types_demo.json'), 'utf8'));

const TOKEN = 'eyJ0eXAiOiJKV1QifQ.test-token.' + 'x'.repeat(3000); // long: LOGIN7 spans packets
let failures = 0;
let checks = 0;
function check(cond, what) {
  checks++;
  if (cond) console.log(`ok   ${what}`);
  else { failures++; console.log(`FAIL ${what}`); }
}

const servers = [];
const work = mkdtempSync(path.join(tmpdir(), 'tds-tedious-'));
async function startServer(args) {
  const child = spawn('/usr/bin/python3', [path.join(here, 'tds_server.py'), '--port', '0', ...args],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  servers.push(child);
  const rl = readline.createInterface({ input: child.stdout });
  const line = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not start')), 30000);
    rl.once('line', (l) => { clearTimeout(t); resolve(l); });
    child.once('exit', (c) => reject(new Error('server exited ' + c)));
  });
  return JSON.parse(line);
}
function stopAll() {
  for (const c of servers) { try { process.kill(c.pid, 'SIGTERM'); } catch { /* gone */ } }
}

function connect(config) {
  return new Promise((resolve, reject) => {
    const c = new Connection(config);
    const t = setTimeout(() => reject(new Error('connect timeout')), 20000);
    c.on('connect', (err) => { clearTimeout(t); if (err) reject(err); else resolve(c); });
    c.connect();
  });
}
function query(conn, sql, params = [], opts = {}) {
  return new Promise((resolve, reject) => {
    const rows = [];
    let meta = null;
    const req = new Request(sql, (err, rowCount) => (err ? reject(err) : resolve({ rows, meta, rowCount })));
    for (const [name, type, value] of params) req.addParameter(name, type, value);
    req.on('columnMetadata', (m) => { meta = m; });
    req.on('row', (cols) => rows.push(cols.map((c) => c.value)));
    if (opts.timeout) req.setTimeout(opts.timeout);
    if (params.length) conn.execSql(req); else conn.execSqlBatch(req);
  });
}
const close = (c) => new Promise((r) => { c.on('end', r); c.close(); });

function tokenConfig(port, extra = {}) {
  return {
    server: 'localhost',
    authentication: { type: 'azure-active-directory-access-token', options: { token: TOKEN } },
    options: { port, database: 'demo', encrypt: true, trustServerCertificate: true, connectTimeout: 15000,
      requestTimeout: 30000, ...extra },
  };
}

function expected(v) {
  if (v && typeof v === 'object') {
    if ('repeat' in v) return v.repeat.repeat(v.count);
    if ('hex' in v) return Buffer.from(v.hex, 'hex');
    if ('hex_repeat' in v) return Buffer.from(v.hex_repeat.repeat(v.count), 'hex');
    if ('int' in v) return v.int;
  }
  return v;
}

function compare(col, type, got, exp) {
  if (exp === null) return got === null;
  if (got === null || got === undefined) return false;
  if (Buffer.isBuffer(exp)) return Buffer.isBuffer(got) && got.equals(exp);
  const base = type.replace(/\(.*\)/, '');
  switch (base) {
    case 'bigint': return String(got) === exp;
    case 'money': case 'smallmoney': case 'decimal': case 'numeric': {
      // tedious returns JS numbers for these: compare with tolerance relative to magnitude
      const e = Number(exp);
      return Math.abs(got - e) <= Math.abs(e) * 1e-15 + 1e-9;
    }
    case 'real': return Math.abs(got - exp) <= Math.abs(exp) * 1e-7;
    case 'datetime': case 'smalldatetime': case 'date': case 'datetime2': case 'datetimeoffset': {
      // tedious returns Date (ms precision, UTC by default with useUTC=true) — compare to the ms
      const m = exp.match(/^(\d{4})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d)(?:\.(\d+))?)?(?: ([+-])(\d\d):(\d\d))?$/);
      const ms = m[7] ? Number((m[7] + '000').slice(0, 3)) : 0;
      let t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] || 0), Number(m[5] || 0), Number(m[6] || 0), ms);
      if (Number(m[1]) < 100) { const d = new Date(t); d.setUTCFullYear(Number(m[1])); t = d.getTime(); }
      if (m[8]) t -= (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) * 60000;
      let diff = Math.abs(got.getTime() - t);
      if (base === 'datetime') diff = Math.max(0, diff - 4); // 1/300 s ticks
      return diff === 0;
    }
    case 'time': {
      const m = exp.match(/^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/);
      const ms = (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 + Number(((m[4] || '') + '000').slice(0, 3));
      const g = got.getUTCHours() * 3600000 + got.getUTCMinutes() * 60000 + got.getUTCSeconds() * 1000 + got.getUTCMilliseconds();
      return g === ms;
    }
    case 'uniqueidentifier': return String(got).toUpperCase() === exp;
    default: return got === exp;
  }
}

async function main() {
  const tokfile = path.join(work, 'token.txt');
  writeFileSync(tokfile, TOKEN);
  const a = await startServer(['--token-file', tokfile, '--route-to', 'self', '--encryption', 'off']);
  const b = await startServer(['--accept-token', TOKEN, '--encryption', 'strict', '--transient-login-errors', '1']);
  const c = await startServer(['--accept-token', TOKEN, '--encryption', 'required']);
  console.log(`servers: routed=${a.port}->${a.routing_port} strict=${b.port} required=${c.port}`);

  // 1. routing: the first login on server A gets ENVCHANGE 20 to A's second listener; tedious follows it
  await (async () => {
    const conn = await connect(tokenConfig(a.port));
    let rerouted = false;
    const r = await query(conn, "SELECT SUSER_SNAME() AS who, DB_NAME() AS db, CONNECTIONPROPERTY('local_tcp_port') AS port, CONNECTIONPROPERTY('auth_scheme') AS auth");
    check(r.rows[0][0] === 'tokenuser@example.com' && r.rows[0][1] === 'demo' && r.rows[0][3] === 'FEDAUTH', `FEDAUTH token login (encrypt:true, trustServerCertificate) -> ${r.rows[0]}`);
    check(r.rows[0][2] === a.routing_port, `routing redirect (ENVCHANGE 20) followed: session is on port ${r.rows[0][2]}`);
    await close(conn);
    const conn2 = await connect(tokenConfig(a.port));
    const r2 = await query(conn2, "SELECT CONNECTIONPROPERTY('local_tcp_port') AS port");
    check(r2.rows[0][0] === a.port, `only the first login is routed: second session on port ${r2.rows[0][0]}`);
    await close(conn2);
    void rerouted;
  })();

  // 2. typed reads of types_demo, encrypt: true (TLS inside PRELOGIN, TDS 7.4), server 'required'
  {
    const conn = await connect(tokenConfig(c.port));
    const r = await query(conn, 'SELECT * FROM types_demo ORDER BY id');
    check(r.rows.length === demo.rows.length, `types_demo row count ${r.rows.length}`);
    const names = r.meta.map((m) => m.colName);
    check(JSON.stringify(names) === JSON.stringify(demo.columns.map((x) => x.name)), 'types_demo column names');
    const tdsTypes = Object.fromEntries(r.meta.map((m) => [m.colName, m.type.name]));
    check(tdsTypes.id === 'Int' && tdsTypes.c_bigint_nn === 'BigInt' && tdsTypes.c_bigint === 'IntN', `fixed vs nullable int types: ${tdsTypes.id}/${tdsTypes.c_bigint_nn}/${tdsTypes.c_bigint}`);
    check(tdsTypes.c_nvarchar_max === 'NVarChar' && r.meta.find((m) => m.colName === 'c_nvarchar_max').dataLength === 65535, 'nvarchar(max) announced as PLP');
    let bad = 0;
    demo.rows.forEach((row, i) => {
      for (const [j, col] of demo.columns.entries()) {
        if (col.type === 'sql_variant' || col.type === 'xml') continue;
        const exp = expected(row[col.name]);
        const got = r.rows[i][j];
        if (!compare(col.name, col.type, got, exp)) {
          bad++;
          console.log(`  mismatch row ${row.id} ${col.name} (${col.type}): got ${JSON.stringify(got)?.slice(0, 80)} expected ${JSON.stringify(exp)?.slice(0, 80)}`);
        }
      }
    });
    check(bad === 0, `types_demo values (${demo.rows.length} rows x ${demo.columns.length - 2} columns) match types_demo.json`);
    const xmlIdx = names.indexOf('c_xml');
    const varIdx = names.indexOf('c_variant');
    check(r.rows[1][xmlIdx] === demo.rows[1].c_xml && r.rows[1][varIdx] === 42 && r.rows[2][varIdx] === 'variant text',
      `xml and sql_variant values: ${r.rows[1][xmlIdx]} / ${r.rows[1][varIdx]} / ${r.rows[2][varIdx]}`);

    const p = await query(conn, 'SELECT Article_Libelle, Tarif FROM Article WHERE Tarif > @min AND Article_Libelle LIKE @pat ORDER BY Tarif',
      [['min', TYPES.Decimal, 500], ['pat', TYPES.NVarChar, '%e%']]);
    check(p.rows.length === 4 && p.rows[0][0] === 'Chaise ergonomique', `sp_executesql with decimal/nvarchar params -> ${p.rows.map((x) => x[0]).join(', ')}`);
    const p2 = await query(conn, 'SELECT @i AS i, @b AS b, @s AS s, @d AS d, @g AS g, @n AS n',
      [['i', TYPES.BigInt, '9007199254740993'], ['b', TYPES.Bit, true], ['s', TYPES.NVarChar, 'x'.repeat(5000)],
        ['d', TYPES.DateTime2, new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))], ['g', TYPES.UniqueIdentifier, '6F9619FF-8B86-D011-B42D-00C04FC964FF'],
        ['n', TYPES.Int, null]]);
    const row = p2.rows[0];
    check(String(row[0]) === '9007199254740993' && row[1] === 1 && row[2].length === 5000 && String(row[3]).startsWith('2024-01-02 03:04:05.678')
      && row[4] === '6F9619FF-8B86-D011-B42D-00C04FC964FF' && row[5] === null,
    `typed parameters round-trip (bigint, bit, PLP nvarchar, datetime2, guid, NULL): ${JSON.stringify(row.map((x) => String(x).slice(0, 30)))}`);

    for (const [sql, num] of [['SELECT * FROM no_such_table', 208], ['SELEC 1', 102], ["INSERT INTO Region (Region_Id, Region_Libelle) VALUES (1, N'dup')", 2627],
      ['INSERT INTO Article (Article_Libelle, Tarif, RegionId) VALUES (N\'x\', 1, 999)', 547]]) {
      try { await query(conn, sql); check(false, `error ${num} for ${sql}`); } catch (e) { check(e.number === num, `error ${e.number} (expected ${num}) class ${e.class}: ${e.message}`); }
    }
    // cancellation: WAITFOR honours ATTENTION (request timeout sends ATTENTION)
    const t0 = Date.now();
    try { await query(conn, "WAITFOR DELAY '00:00:10'", [], { timeout: 500 }); check(false, 'WAITFOR timeout'); } catch (e) {
      check(e.code === 'ETIMEOUT' && Date.now() - t0 < 5000, `WAITFOR cancelled by ATTENTION after ${Date.now() - t0} ms (${e.code})`);
    }
    const after = await query(conn, 'SELECT 1 AS one');
    check(after.rows[0][0] === 1, 'connection usable after ATTENTION');
    // RESETCONNECTION: conn.reset() flags the next request; the server rolls back and resets SET options
    await query(conn, "BEGIN TRAN; INSERT INTO Region (Region_Libelle) VALUES (N'reset-me')");
    await new Promise((res, rej) => conn.reset((e) => (e ? rej(e) : res())));
    const rs = await query(conn, "SELECT @@TRANCOUNT AS tc, (SELECT COUNT(*) FROM Region WHERE Region_Libelle = N'reset-me') AS n");
    check(rs.rows[0][0] === 0 && rs.rows[0][1] === 0, `RESETCONNECTION rolled back the open transaction: ${rs.rows[0]}`);
    const br = await query(conn, 'SELECT [Article_Libelle] FROM [dbo].[Article] ORDER BY Article_Id OFFSET 2 ROWS FETCH NEXT 2 ROWS ONLY');
    check(br.rows.length === 2 && br.rows[0][0] === 'Clavier mécanique', `[dbo].[Article] + OFFSET/FETCH -> ${br.rows.map((x) => x[0])}`);
    const big = await query(conn, 'SELECT TOP 50000 * FROM big_table');
    check(big.rows.length === 50000 && big.rows[49999][0] === 50000, `streamed ${big.rows.length} rows of big_table`);
    await close(conn);
  }

  // 3. TDS 8.0 strict (TLS first, ALPN tds/8.0) + transient 40613 on the first login (tedious retries it)
  {
    // TDS 8.0 always validates the certificate (trustServerCertificate is ignored): trust the generated CA
    const conn = await connect(tokenConfig(b.port, { encrypt: 'strict', connectionRetryInterval: 200,
      cryptoCredentialsDetails: { ca: readFileSync(b.cert) } }));
    const r = await query(conn, "SELECT COUNT(*) AS n, CONNECTIONPROPERTY('tls_mode') AS m FROM Region WHERE Region_Libelle LIKE N'%e%'");
    check(r.rows[0][0] >= 1 && r.rows[0][1] === 'strict/tds/8.0', `encrypt:'strict' (TLS first, ALPN ${r.rows[0][1]}) login after a transient 40613 retry, count=${r.rows[0][0]}`);
    await close(conn);
  }

  // 4. wrong token rejected (18456), and token rotation via --token-file
  {
    const cfg = tokenConfig(c.port);
    cfg.authentication.options.token = 'wrong-token';
    try { const x = await connect(cfg); await close(x); check(false, 'wrong token rejected'); } catch (e) {
      check(/Login failed/.test(e.message), `wrong token rejected: ${e.message}`);
    }
    writeFileSync(tokfile, 'rotated-token');
    try { const x = await connect(tokenConfig(a.routing_port)); await close(x); check(false, 'old token rejected after rotation'); } catch (e) {
      check(/Login failed/.test(e.message), `old token rejected after --token-file rotation: ${e.message}`);
    }
    const cfg2 = tokenConfig(a.routing_port);
    cfg2.authentication.options.token = 'rotated-token';
    const ok = await connect(cfg2);
    check(true, 'rotated token accepted');
    await close(ok);
  }
}

try {
  await main();
} catch (e) {
  failures++;
  console.log('FAIL exception:', e && e.stack || e);
} finally {
  stopAll();
  rmSync(work, { recursive: true, force: true });
}
console.log(`${checks} checks, ${failures} failures`);
process.exit(failures ? 1 : 0);
