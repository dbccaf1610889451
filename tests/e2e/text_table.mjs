// A reader for read_data's text rendering (src/tools/row_encoder.hpp): a `name:type` header line, one
// line per row, a blank line, a footer. Fields are separated by `,`; a field that starts with `"` is a
// JSON string literal, any other field is read verbatim up to the next `,` and the bare word NULL is
// SQL NULL. Used by the round-trip tests to show the text carries what structuredContent carries.
import assert from 'node:assert/strict';

/** One line → [{bare, value}] (value null for a bare NULL). Throws on a malformed line. */
export function parseLine(line) {
  const out = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) throw new Error(`unterminated string at ${i}: ${line}`);
      out.push({ bare: false, value: JSON.parse(line.slice(i, j + 1)) });
      i = j + 1;
    } else {
      let j = line.indexOf(',', i);
      if (j < 0) j = line.length;
      const raw = line.slice(i, j);
      out.push({ bare: true, value: raw === 'NULL' ? null : raw });
      i = j;
    }
    if (i === line.length) return out;
    if (line[i] !== ',') throw new Error(`expected , at ${i}: ${line}`);
    i++;
  }
}

/** The whole text → {columns: [{name, type}], rows: [[{bare, value}]], footer}. */
export function parseTextTable(text) {
  const lines = text.split('\n');
  const columns = parseLine(lines[0]).map((f) => {
    const k = f.value.lastIndexOf(':');
    return { name: f.value.slice(0, k), type: f.value.slice(k + 1) };
  });
  const rows = [];
  let k = 1;
  for (; k < lines.length && lines[k] !== ''; k++) rows.push(parseLine(lines[k]));
  return { columns, rows, footer: lines.slice(k + 1).join('\n') };
}

/** Asserts that text field `f` stands for structuredContent value `v`; returns the JSON kind checked. */
export function assertField(f, v, where) {
  if (v === null) {
    assert.ok(f.bare && f.value === null, `${where}: NULL expected, text has ${JSON.stringify(f)}`);
    return 'null';
  }
  if (typeof v === 'boolean') {
    assert.ok(f.bare && f.value === String(v), `${where}: ${v} expected, text has ${JSON.stringify(f)}`);
    return 'boolean';
  }
  if (typeof v === 'number') {
    assert.ok(f.bare && f.value !== null && Number(f.value) === v, `${where}: ${v} expected, text has ${JSON.stringify(f)}`);
    return 'number';
  }
  assert.equal(typeof v, 'string', `${where}: unexpected structured value ${JSON.stringify(v)}`);
  assert.equal(f.value, v, `${where}: text field ${JSON.stringify(f)} differs from ${JSON.stringify(v)}`);
  return 'string';
}

/** Parses a read_data result's text and compares it with its structuredContent, value by value.
 *  Returns {rows, values, kinds: Set of JSON kinds seen, types: Set of column types}. */
export function assertRoundTrip(result) {
  const sc = result.structuredContent;
  const text = result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  const t = parseTextTable(text);
  assert.deepEqual(t.columns, sc.columns.map((c) => ({ name: c.name, type: c.type })), 'header');
  assert.equal(t.rows.length, sc.rows.length, `row count; text:\n${text.slice(0, 2000)}`);
  assert.match(t.footer, new RegExp(`^\\(${sc.row_count} rows?\\)`), 'footer');
  const kinds = new Set();
  let values = 0;
  sc.rows.forEach((row, i) => {
    assert.equal(t.rows[i].length, row.length, `row ${i} width: ${JSON.stringify(t.rows[i])}`);
    row.forEach((v, j) => {
      kinds.add(assertField(t.rows[i][j], v, `row ${i} ${sc.columns[j].name} (${sc.columns[j].type})`));
      values++;
    });
  });
  return { rows: sc.rows.length, values, kinds, types: new Set(sc.columns.map((c) => c.type)) };
}
