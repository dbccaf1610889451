// The README's first quick-start command as a desktop client runs it: `scripts/run.sh --transport stdio`.
// Set-up and build output must stay off stdout, which carries only MCP messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { SRC, tempDir, rmSync } from './lib.mjs';

test('scripts/run.sh --transport stdio: every stdout line is a JSON-RPC message; initialize answers', async () => {
  const home = tempDir('azsql-quickstart-');
  try {
    const p = spawn(path.join(SRC, 'scripts/run.sh'), ['--transport', 'stdio'], {
      cwd: SRC,
      env: { ...process.env, HOME: home, LOG_LEVEL: 'warning' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stderr.on('data', (d) => { err += d.toString(); });
    const exited = new Promise((resolve) => p.on('exit', (code) => resolve(code)));
    const firstLine = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer; stderr tail: ' + err.slice(-2000))), 280000);
      p.stdout.on('data', (d) => {
        out += d.toString();
        if (out.includes('\n')) { clearTimeout(timer); resolve(out.slice(0, out.indexOf('\n'))); }
      });
    });
    p.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {
      protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'quickstart', version: '1' } } }) + '\n');
    const line = await firstLine;
    const msg = JSON.parse(line);  // a build line on stdout would fail here
    assert.equal(msg.id, 1);
    assert.equal(msg.result.serverInfo.name, 'azsql-mcp');
    assert.match(msg.result.instructions, /SQLite/);
    p.stdin.end();
    assert.equal(await exited, 0);
    for (const l of out.split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(l), l);
    assert.match(err, /backend\s*: SQLite .*demo\.db/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
