// The experiment behind read_data's text rendering (issue 17): renders the same result — azsql-mcp's
// structuredContent for 100 rows of `mixed` and of `t` — in candidate text formats and counts their
// tokens with @anthropic-ai/tokenizer. Not part of `make bench`; the figures are in docs/PERFORMANCE.md.
//
//   node bench/token_formats.mjs --azsql build/azsql-mcp --db bench/work/bench.db
import { getTokenizer } from '@anthropic-ai/tokenizer';
import { Session, serverSpec } from './tokens.mjs';

// One tokenizer for all counts (countTokens() builds a new one per call); same normalisation as countTokens.
const tokenizer = getTokenizer();
const countTokens = (text) => tokenizer.encode(text.normalize('NFKC'), 'all').length;

const b64ToHex = (s) => '0x' + Buffer.from(s, 'base64').toString('hex').toUpperCase();

function csvField(v, { nullMark = 'NULL', quoteAll = false, bin = 'b64', binCol = false } = {}) {
  if (v === null) return nullMark;
  if (typeof v !== 'string') return String(v);
  if (binCol && bin === 'hex') return b64ToHex(v);
  const needs = quoteAll || v === '' || v === nullMark || /[",\n\r]/.test(v) || /^\s|\s$/.test(v);
  return needs ? '"' + v.replaceAll('"', '""') + '"' : v;
}

function formats(sc) {
  const names = sc.columns.map((c) => c.name);
  const typed = sc.columns.map((c) => `${c.name} ${c.type}`);
  const binCols = sc.columns.map((c) => /blob|binary|image/i.test(c.type));
  const footer = `${sc.row_count} rows`;
  const csv = (opts, header) => [header.join(','), ...sc.rows.map((r) => r.map((v, i) => csvField(v, { ...opts, binCol: binCols[i] })).join(','))].join('\n') + '\n' + footer;
  const tsv = [names.join('\t'), ...sc.rows.map((r) => r.map((v) => v === null ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n')).join('\t'))].join('\n');
  const md = ['| ' + names.join(' | ') + ' |', '|' + names.map(() => '---').join('|') + '|',
    ...sc.rows.map((r) => '| ' + r.map((v) => v === null ? 'NULL' : String(v).replace(/\|/g, '\\|').replace(/\n/g, '\\n')).join(' | ') + ' |')].join('\n');
  return {
    'before (columns: name (type) header, JSON array per row, footer with time)':
      'columns: ' + sc.columns.map((c) => `${c.name} (${c.type})`).join(', ') + '\n' +
      sc.rows.map((r) => JSON.stringify(r)).join('\n') + `\n${sc.row_count} rows in 0.4 ms`,
    'azsql-mcp now (its text content)': null,
    'JSON objects, one per line (Toolbox style)': sc.rows.map((r) => JSON.stringify(Object.fromEntries(r.map((v, i) => [names[i], v])))).join('\n'),
    'JSON array of arrays, compact': JSON.stringify({ columns: names, rows: sc.rows }),
    'CSV (RFC 4180 quoting), names only, NULL, base64': csv({}, names),
    'CSV, name:type header, NULL, base64': csv({}, sc.columns.map((c) => `${c.name}:${c.type}`)),
    'CSV, name TYPE header, NULL, base64': csv({}, typed),
    'CSV, name TYPE header, empty=NULL, base64': csv({ nullMark: '' }, typed),
    'CSV, name TYPE header, NULL, hex 0x…': csv({ bin: 'hex' }, typed),
    'CSV, every string quoted': csv({ quoteAll: true }, typed),
    'TSV with \\N and backslash escapes': tsv,
    'Markdown table': md,
    'lower bound: every value tokenized alone, no separators, no header': { lowerBound: sc.rows.flat().reduce((n, v) => n + (v === null ? 1 : countTokens(String(v))), 0) },
  };
}

const s = new Session(serverSpec('azsql-mcp'));
try {
  await s.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fmt', version: '1' } });
  s.notify('notifications/initialized', {});
  for (const sql of ['SELECT * FROM mixed WHERE id <= 100 ORDER BY id', 'SELECT * FROM t WHERE id <= 100 ORDER BY id']) {
    const r = (await s.request('tools/call', { name: 'read_data', arguments: { query: sql, limit: 100 } })).result;
    console.log(`\n${sql}`);
    for (const [name, text] of Object.entries(formats(r.structuredContent))) {
      if (text?.lowerBound) {
        console.log(`${String(text.lowerBound).padStart(6)} tokens ${''.padStart(6)}        ${name}`);
        continue;
      }
      const t = text ?? r.content.map((c) => c.text).join('\n');
      console.log(`${String(countTokens(t)).padStart(6)} tokens ${String(t.length).padStart(6)} chars  ${name}`);
    }
  }
} finally {
  await s.close();
}
