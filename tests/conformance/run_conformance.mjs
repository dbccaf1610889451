// ctest driver for the official MCP conformance suite (@modelcontextprotocol/conformance).
//
//   node run_conformance.mjs --fixtures <conformance_server> --requirements <rev> --expected-failures <yaml>
//       Starts the test-only fixture server on a free port and runs every server scenario the
//       revision requires (the suite's own --requirements selection).
//   node run_conformance.mjs --binary <azsql-mcp> --spec-version <rev> --expected-failures <yaml> --scenarios a,b,c
//       Starts the real azsql-mcp (HTTP, --port 0, a temp SQLite database) and runs the scenarios
//       that need no fixture names, one by one.
//
// Prints the suite's summary line(s) and exits non-zero on any unexpected failure. Every process
// it starts is stopped by PID; every wait is bounded.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = process.execPath;
const CLI = path.join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

/** Starts `cmd`, resolves with { proc, url } once `pattern` (with a port group) shows up on stdout/stderr. */
function startServer(cmd, cmdArgs, env, pattern, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, cmdArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not report its port within ${timeoutMs} ms; output:\n${out}`));
    }, timeoutMs);
    const onData = (d) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout.removeAllListeners('data');
        proc.stderr.removeAllListeners('data');
        proc.stdout.resume();
        proc.stderr.on('data', (x) => process.stderr.write(`[server] ${x}`));
        resolve({ proc, url: `http://127.0.0.1:${m[1]}/mcp` });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}); output:\n${out}`));
    });
  });
}

async function stopServer(proc) {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(t);
}

/** Runs the conformance CLI; resolves with { code, output }. Bounded by `timeoutMs`. */
function runCli(cliArgs, timeoutMs = 540000) {
  return new Promise((resolve) => {
    const p = spawn(NODE, [CLI, 'server', ...cliArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const tee = (d) => {
      output += d.toString();
      process.stdout.write(d);
    };
    p.stdout.on('data', tee);
    p.stderr.on('data', tee);
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? 1, output });
    });
  });
}

async function fixtures() {
  const server = opt('fixtures');
  const requirements = opt('requirements');
  const expected = opt('expected-failures');
  const { proc, url } = await startServer(server, [], {}, /LISTENING (\d+)/);
  let result;
  try {
    result = await runCli(['--url', url, '--requirements', requirements, '--expected-failures', expected]);
  } finally {
    await stopServer(proc);
  }
  const total = /Total: \d+ passed, \d+ failed/.exec(result.output);
  // Split the per-scenario lines into the protocol proper and the optional extensions (tasks,
  // skills: SEP-1730 scores neither), so the summary says where any failure lies.
  const tally = { core: [0, 0, 0], extension: [0, 0, 0] };
  for (const m of result.output.matchAll(/^[✓✗] ([\w./-]+): (\d+) passed, (\d+) failed$/gm)) {
    const t = /^(tasks-|sep-2640-)/.test(m[1]) ? tally.extension : tally.core;
    t[0]++;
    t[1] += Number(m[2]);
    t[2] += Number(m[3]);
  }
  console.log(`\nconformance ${requirements} (fixture server): ${total ? total[0] : 'no summary line'}; exit ${result.code}`);
  console.log(`  protocol scenarios: ${tally.core[0]} scenarios, ${tally.core[1]} passed, ${tally.core[2]} failed`);
  if (tally.extension[0])
    console.log(`  extension scenarios (tasks/skills, not scored): ${tally.extension[0]} scenarios, ${tally.extension[1]} passed, ${tally.extension[2]} failed`);
  if (tally.core[2] > 0) return 1;
  if (!total) return 1;
  return result.code;
}

async function binary() {
  const bin = opt('binary');
  const spec = opt('spec-version');
  const expected = opt('expected-failures');
  const scenarios = opt('scenarios').split(',').filter(Boolean);
  const dir = mkdtempSync(path.join(tmpdir(), 'azsql-conf-'));
  let passed = 0, failed = 0, warnings = 0, bad = 0;
  const { proc, url } = await startServer(
    bin, ['--transport', 'http', '--port', '0'],
    { SQLITE_PATH: path.join(dir, 'demo.db'), LOG_LEVEL: 'info', MCP_HOST: '127.0.0.1' },
    /http:\/\/127\.0\.0\.1:(\d+)\//);
  try {
    for (const s of scenarios) {
      const r = await runCli(['--url', url, '--scenario', s, '--spec-version', spec, '--expected-failures', expected], 120000);
      const m = /Passed: (\d+)\/\d+, (\d+) failed, (\d+) warnings/.exec(r.output);
      if (m) {
        passed += Number(m[1]);
        failed += Number(m[2]);
        warnings += Number(m[3]);
      }
      if (!m || r.code !== 0) {
        bad++;
        console.log(`\n!! scenario ${s}: exit ${r.code}${m ? '' : ' (no result line)'}`);
      }
    }
  } finally {
    await stopServer(proc);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nconformance ${spec} (azsql-mcp binary, ${scenarios.length} scenarios): Total: ${passed} passed, ${failed} failed, ${warnings} warnings`);
  return bad === 0 ? 0 : 1;
}

const code = await (opt('fixtures') ? fixtures() : binary());
process.exit(code);
