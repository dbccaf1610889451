#!/usr/bin/env node
// Launcher: finds the native azsql-mcp binary in the platform package npm installed next to this
// one (@azsql-mcp/server-<platform>-<arch>, an optional dependency restricted by os/cpu) and runs
// it with this process's arguments, standard streams and environment. Signals are passed on and
// the binary's exit status becomes ours, so `npx azsql-mcp --transport stdio` behaves like the
// binary itself for MCP clients.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const pkg = `@azsql-mcp/server-${process.platform}-${process.arch}`;
let binary;
try {
  binary = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'azsql-mcp');
} catch {
  process.stderr.write(`azsql-mcp: no prebuilt binary for ${process.platform}-${process.arch} ` +
    `(package ${pkg} is not installed). Supported: linux-x64. ` +
    'Other platforms: use the container image or build from source (see the README).\n');
  process.exit(1);
}

const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { if (child.exitCode === null) child.kill(sig); });
}
child.on('error', (err) => {
  process.stderr.write(`azsql-mcp: cannot start ${binary}: ${err.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);  // die of the same signal
    process.kill(process.pid, signal);
  }
  else process.exit(code ?? 1);
});
