// The container image built from ./Dockerfile (scripts/release/image.sh), run here without a
// container engine: `podman run` is refused on these machines (setrlimit), so the image's root
// filesystem is mounted with `buildah from` + `buildah mount` and run with `runc` using the image's
// own entrypoint, environment, user and working directory. The container gets its own network
// namespace joined to the host by a veth pair on a private /30, so the server's default bind
// (0.0.0.0:8000) is exercised and reached from the host at the container's address, as a published
// port would be. The SDK client drives it; /health, /metrics, the HEALTHCHECK command, DNS-rebinding
// refusal and a clean stop on SIGTERM are checked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sh, tempDir, connectHttp, acceptance, httpGet, waitHealthy, start, within } from './lib.mjs';

const IMAGE = process.env.AZSQL_IMAGE || 'localhost/azsql-mcp:latest';
const id = `azsql-ct-${process.pid}`;
const netns = `azsqlct${process.pid % 100000}`;
const vethHost = `azh${process.pid % 100000}`;
const vethCtr = `azc${process.pid % 100000}`;
const octet = 16 + (process.pid % 200);
const hostIp = `10.231.${octet}.1`;
const ctrIp = `10.231.${octet}.2`;

let ctr;
let mnt;
let bundle;
let run;
let config;

function imageConfig() {
  const info = JSON.parse(sh('buildah', ['inspect', '--type', 'image', IMAGE]));
  return info.Docker.config;
}

function setUpNetwork() {
  sh('ip', ['netns', 'add', netns]);
  sh('ip', ['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethCtr]);
  sh('ip', ['link', 'set', vethCtr, 'netns', netns]);
  sh('ip', ['addr', 'add', `${hostIp}/30`, 'dev', vethHost]);
  sh('ip', ['link', 'set', vethHost, 'up']);
  sh('ip', ['netns', 'exec', netns, 'ip', 'addr', 'add', `${ctrIp}/30`, 'dev', vethCtr]);
  sh('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', vethCtr, 'up']);
  sh('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
}

/** An OCI runtime config from `runc spec`, filled in from the image's Docker config. */
function writeRuntimeConfig(dir, root, cfg) {
  sh('runc', ['spec', '--bundle', dir]);
  const file = path.join(dir, 'config.json');
  const spec = JSON.parse(readFileSync(file, 'utf8'));
  const [uid, gid] = (cfg.User || '0:0').split(':').map(Number);
  spec.root = { path: root, readonly: false };
  spec.hostname = 'azsql-mcp';
  spec.process.terminal = false;
  spec.process.args = [...(cfg.Entrypoint || []), ...(cfg.Cmd || [])];
  spec.process.env = cfg.Env;
  spec.process.cwd = cfg.WorkingDir || '/';
  spec.process.user = { uid, gid: Number.isNaN(gid) ? uid : gid };
  delete spec.process.rlimits;  // setrlimit is refused here (the reason podman run fails)
  spec.linux.namespaces = spec.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/var/run/netns/${netns}` } : n));
  writeFileSync(file, JSON.stringify(spec, null, 2));
}

before(() => {
  config = imageConfig();
  ctr = sh('buildah', ['from', '--pull=never', '--name', id, IMAGE]);
  mnt = sh('buildah', ['mount', ctr]);
  bundle = tempDir('azsql-bundle-');
  setUpNetwork();
  writeRuntimeConfig(bundle, mnt, config);
  run = start('runc', ['run', '--bundle', bundle, id]);
});

after(() => {
  for (const [cmd, args] of [
    ['runc', ['delete', '--force', id]],
    ['buildah', ['umount', ctr]],
    ['buildah', ['rm', ctr]],
    ['ip', ['link', 'del', vethHost]],
    ['ip', ['netns', 'del', netns]],
  ]) {
    try { sh(cmd, args); } catch { /* already gone */ }
  }
  if (run?.alive()) run.proc.kill('SIGKILL');
});

test('image metadata: non-root user, port 8000, HEALTHCHECK on /health, SIGTERM stop signal', () => {
  assert.notEqual(config.User, undefined);
  assert.notEqual(config.User.split(':')[0], '0');
  assert.notEqual(config.User.split(':')[0], 'root');
  assert.ok(Object.keys(config.ExposedPorts || {}).includes('8000/tcp'));
  assert.ok(config.Env.includes('MCP_HOST=0.0.0.0'));
  assert.match(config.Healthcheck.Test.join(' '), /\/health/);
  assert.equal(config.StopSignal, 'SIGTERM');
  const size = Number(sh('podman', ['image', 'inspect', '--format', '{{.Size}}', IMAGE]));
  console.log(`image ${IMAGE}: ${(size / 1e6).toFixed(1)} MB uncompressed`);
  assert.ok(size < 200e6, `image is ${size} bytes`);
});

test('the server listens on 0.0.0.0:8000 inside the container as the image user and answers /health', async () => {
  const h = await waitHealthy(ctrIp, 8000, 60000, run.alive);
  assert.equal(JSON.parse(h.body).status, 'healthy', h.body);
  const pid = JSON.parse(sh('runc', ['state', id])).pid;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const uid = /^Uid:\s+(\d+)/m.exec(status)[1];
  assert.equal(uid, config.User.split(':')[0], 'runs as the image user');
  // 0.0.0.0:8000 in LISTEN state (0A) in the container's network namespace.
  assert.match(readFileSync(`/proc/${pid}/net/tcp`, 'utf8'), /^\s*\d+: 00000000:1F40 00000000:0000 0A /m);
});

test('the image HEALTHCHECK command succeeds inside the running container', () => {
  const [kind, ...cmd] = config.Healthcheck.Test;
  const argv = kind === 'CMD-SHELL' ? ['/bin/sh', '-c', cmd.join(' ')] : cmd;
  const envArgs = config.Env.flatMap((e) => ['--env', e]);
  sh('runc', ['exec', ...envArgs, '--user', config.User, id, ...argv]);  // throws on a non-zero exit
});

test('SDK client from the host: tools, a query on the demo database; /metrics counts the calls', async () => {
  const { client } = await connectHttp(`http://${ctrIp}:8000/mcp`);
  try {
    await acceptance(client, assert);
  } finally {
    await client.close();
  }
  const m = await httpGet(ctrIp, 8000, '/metrics', { Accept: 'text/plain;version=0.0.4' });  // a Prometheus scrape
  assert.equal(m.status, 200);
  assert.match(m.body, /azsql_mcp_requests_total\{[^}]*tool="read_data"[^}]*\} [1-9]/);
});

test('DNS rebinding: a request naming another host is refused; loopback and IP hosts are served', async () => {
  const bad = await httpGet(ctrIp, 8000, '/health', { Host: 'rebound.attacker.example:8000' });
  assert.equal(bad.status, 403, bad.body);
  const byIp = await httpGet(ctrIp, 8000, '/health', { Host: `${ctrIp}:8000` });
  assert.equal(byIp.status, 200);
});

test('SIGTERM (runc kill) stops the server cleanly with exit code 0', async () => {
  assert.ok(run.alive(), run.output);
  const t0 = Date.now();
  sh('runc', ['kill', id, 'TERM']);
  const r = await within(run.exited, 15000, 'container exit after SIGTERM');
  console.log(`stopped in ${Date.now() - t0} ms`);
  assert.deepEqual(r, { code: 0, signal: null }, run.output);
});
