// The Debian package (make deb) on a clean Debian 12 root filesystem (debootstrap minbase, chroot):
// `apt-get install ./azsql-mcp_*.deb` pulls the runtime libraries named by its Depends and installs
// the binary, the man page generated from --help, the example environment file (a conffile) and the
// systemd unit (not enabled, not started: there is no systemd in the chroot); the installed server
// passes the acceptance flow; `dpkg -r` removes the files, `dpkg -P` the environment file too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sh, freshRootfs, connectStdio, acceptance } from './lib.mjs';

const DEB = process.env.AZSQL_DEB;
let rootfs;
const FILES = ['/usr/bin/azsql-mcp', '/usr/share/man/man1/azsql-mcp.1.gz', '/usr/lib/systemd/system/azsql-mcp.service',
  '/usr/share/doc/azsql-mcp/README.md'];
const CONFFILE = '/etc/azsql-mcp/azsql-mcp.env';
const inRoot = (p) => path.join(rootfs.dir, p);
const chroot = (...args) => sh('chroot', [rootfs.dir, ...args], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C' } });

before(() => {
  assert.ok(DEB && existsSync(DEB), `AZSQL_DEB=${DEB}`);
  rootfs = freshRootfs('azsql-deb-root-');
  rootfs.mountProc();
  copyFileSync(DEB, inRoot('tmp/azsql-mcp.deb'));
});

after(() => rootfs?.cleanup());

test('package metadata: Depends from dpkg-shlibdeps, libcurl4 recommended, conffile declared', () => {
  const depends = sh('dpkg-deb', ['-f', DEB, 'Depends']);
  for (const lib of ['libssl3', 'libsqlite3-0', 'libspdlog1.10', 'libboost-json1.81.0', 'libc6']) assert.match(depends, new RegExp(lib.replace(/[.]/g, '\\.')), depends);
  assert.match(sh('dpkg-deb', ['-f', DEB, 'Recommends']), /libcurl4/);
  const conffiles = sh('dpkg-deb', ['-I', DEB, 'conffiles']);
  assert.deepEqual(conffiles.split('\n'), [CONFFILE]);
});

test('apt-get install ./azsql-mcp.deb on a clean root filesystem installs binary, man page, env file, unit', () => {
  assert.ok(!existsSync(inRoot('usr/bin/azsql-mcp')));
  chroot('apt-get', 'update', '-qq');
  chroot('apt-get', 'install', '-y', '-qq', '--no-install-recommends', '/tmp/azsql-mcp.deb');
  for (const f of [...FILES, CONFFILE]) assert.ok(existsSync(inRoot(f)), f);
  assert.match(chroot('/usr/bin/azsql-mcp', '--version'), /^azsql-mcp \d+\.\d+\.\d+/);
  const unit = readFileSync(inRoot('/usr/lib/systemd/system/azsql-mcp.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/azsql-mcp$/m);
  assert.match(unit, /^EnvironmentFile=\/etc\/azsql-mcp\/azsql-mcp\.env$/m);
  // Installed, not enabled: no wants/ link (the package has no maintainer scripts that start it).
  assert.ok(!existsSync(inRoot('/etc/systemd/system/multi-user.target.wants/azsql-mcp.service')));
  assert.match(readFileSync(inRoot(CONFFILE), 'utf8'), /^MCP_HOST=127\.0\.0\.1$/m);
  const man = sh('zcat', [inRoot('/usr/share/man/man1/azsql-mcp.1.gz')]);
  assert.match(man, /^\.SH DESCRIPTION/m);
  assert.match(man, /allowed\\-hosts/);
});

test('the installed server passes the acceptance flow (stdio, settings from the example env file)', async () => {
  // The env file as systemd would read it: KEY=value lines.
  const env = Object.fromEntries(readFileSync(inRoot(CONFFILE), 'utf8').split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  env.XDG_DATA_HOME = '/tmp';  // the unit's StateDirectory does not exist outside systemd
  const c = await connectStdio('chroot', [rootfs.dir, '/usr/bin/azsql-mcp', '--transport', 'stdio'], env);
  try {
    await acceptance(c.client, assert);
  } finally {
    await c.client.close();
  }
});

test('dpkg -r removes the files (the edited-config conffile stays); dpkg -P removes it too', () => {
  chroot('dpkg', '-r', 'azsql-mcp');
  for (const f of FILES) assert.ok(!existsSync(inRoot(f)), `${f} removed`);
  assert.ok(existsSync(inRoot(CONFFILE)), 'conffiles survive dpkg -r (Debian policy)');
  chroot('dpkg', '-P', 'azsql-mcp');
  assert.ok(!existsSync(inRoot(CONFFILE)), 'dpkg -P purges the env file');
});
