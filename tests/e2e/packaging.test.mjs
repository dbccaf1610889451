// The packaging metadata and layouts, checked in seconds against the real binary (the long release
// tests — container, archive in a chroot, .deb — are `make release-test`, tests/release):
//  - packaging/registry/server.json validates against the MCP Registry's published schema
//    (tests/packaging/schemas, vendored from modelcontextprotocol/static);
//  - packaging/mcpb/manifest.json is accepted by @anthropic-ai/mcpb (validate, pack, unpack) and the
//    unpacked bundle's server starts the way a host starts it (mcp_config with user_config defaults);
//  - the npm launcher + platform packages install from local tarballs and `npx azsql-mcp` serves
//    MCP over stdio;
//  - the man page generated from --help documents every setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, cpSync, statSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BIN, SRC, tempDir, rmSync, text } from './lib.mjs';

const require = createRequire(import.meta.url);
const PKG = path.join(SRC, 'packaging');
const MCPB = path.join(SRC, 'node_modules/.bin/mcpb');
const VERSION = /project\(azsql_mcp VERSION ([0-9.]+)/.exec(readFileSync(path.join(SRC, 'CMakeLists.txt'), 'utf8'))[1];
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });

/** Starts `command args` over stdio with the SDK client, lists tools, reads one row, closes. */
async function stdioSmoke(command, args, env, cwd) {
  const transport = new StdioClientTransport({ command, args, env, cwd, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d.toString(); });
  const client = new Client({ name: 'azsql-packaging-test', version: '1.0.0' }, { capabilities: {} });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    const r = await client.callTool({ name: 'read_data', arguments: { query: 'SELECT count(*) AS n FROM Region' } });
    assert.equal(r.isError, false, text(r) + stderr);
    return { tools: tools.map((t) => t.name), server: client.getServerVersion(), stderr };
  } finally {
    await client.close();
  }
}

function registryValidator() {
  const schema = readJson(path.join(SRC, 'tests/packaging/schemas/mcp-registry-server.schema.2025-12-11.json'));
  const Ajv = require('ajv').default;  // the schema is draft-07
  const addFormats = require('ajv-formats').default;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

test('server.json validates against the MCP Registry schema (2025-12-11); a broken copy does not', () => {
  const validate = registryValidator();
  const template = readFileSync(path.join(PKG, 'registry/server.json'), 'utf8');
  assert.match(template, /@MCPB_SHA256@/, 'the bundle hash is filled in by scripts/release/bundles.sh');
  const server = JSON.parse(template.replace('@MCPB_SHA256@', 'a'.repeat(64)));
  assert.ok(validate(server), JSON.stringify(validate.errors, null, 1));
  assert.equal(server.$schema, 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json');
  assert.equal(server.version, VERSION);
  for (const p of server.packages) if (p.version) assert.equal(p.version, VERSION, p.registryType);
  const npmPkg = server.packages.find((p) => p.registryType === 'npm');
  const launcher = readJson(path.join(PKG, 'npm/azsql-mcp/package.json'));
  assert.equal(npmPkg.identifier, launcher.name);
  assert.equal(launcher.mcpName, server.name, 'npm ownership check: mcpName = server name');
  // The validator is not a rubber stamp: a description over 100 characters and a bad hash fail.
  assert.equal(validate({ ...server, description: 'x'.repeat(101) }), false);
  const badHash = JSON.parse(template.replace('@MCPB_SHA256@', 'not-a-hash'));
  assert.equal(validate(badHash), false);
  // No secrets: nothing in the entry carries a value for a secret input.
  for (const p of server.packages) for (const e of p.environmentVariables || []) assert.equal(e.value, undefined, e.name);
});

test('MCPB: mcpb validates and packs the manifest; the unpacked bundle starts as a host starts it', async () => {
  const manifest = readJson(path.join(PKG, 'mcpb/manifest.json'));
  assert.equal(manifest.version, VERSION);
  assert.deepEqual(Object.keys(manifest.user_config).sort(), ['auth_type', 'database', 'read_only', 'server']);
  for (const [k, u] of Object.entries(manifest.user_config)) assert.notEqual(u.sensitive, true, `${k}: no secrets in the bundle`);
  const names = [...Object.keys(manifest.user_config), ...Object.keys(manifest.server.mcp_config.env)];
  for (const n of names) assert.doesNotMatch(n, /PASSWORD|SECRET|TOKEN|KEY/i, 'no secret settings in the bundle');

  const dir = tempDir('azsql-mcpb-');
  try {
    const stage = path.join(dir, 'stage');
    mkdirSync(path.join(stage, 'server/bin'), { recursive: true });
    cpSync(path.join(PKG, 'mcpb/manifest.json'), path.join(stage, 'manifest.json'));
    cpSync(BIN, path.join(stage, 'server/bin/azsql-mcp'));
    assert.match(run(MCPB, ['validate', path.join(stage, 'manifest.json')]), /valid/i);
    const bundle = path.join(dir, 'azsql-mcp.mcpb');
    run(MCPB, ['pack', stage, bundle]);
    assert.ok(statSync(bundle).size > 1e5);
    const out = path.join(dir, 'unpacked');
    run(MCPB, ['unpack', bundle, out]);
    const exe = path.join(out, manifest.server.entry_point);
    assert.ok((statSync(exe).mode & 0o111) !== 0, 'the packed binary keeps its executable bit');

    // What a host does: substitute ${__dirname} and the user_config defaults, then spawn.
    const defaults = Object.fromEntries(Object.entries(manifest.user_config).map(([k, u]) => [k, String(u.default ?? '')]));
    const subst = (s) => s.replaceAll('${__dirname}', out).replace(/\$\{user_config\.(\w+)\}/g, (_, k) => defaults[k]);
    const cfg = manifest.server.mcp_config;
    const env = { PATH: process.env.PATH, HOME: dir, ...Object.fromEntries(Object.entries(cfg.env).map(([k, v]) => [k, subst(v)])) };
    const r = await stdioSmoke(subst(cfg.command), cfg.args.map(subst), env);
    assert.equal(r.server.name, 'azsql-mcp');
    assert.ok(r.tools.includes('list_tables'));
    assert.ok(!r.tools.includes('insert_data'), 'read_only defaults to true in the bundle');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm: launcher + platform package install from local tarballs; npx azsql-mcp serves MCP over stdio', async () => {
  const launcher = readJson(path.join(PKG, 'npm/azsql-mcp/package.json'));
  const platform = readJson(path.join(PKG, 'npm/server-linux-x64/package.json'));
  assert.equal(launcher.version, VERSION);
  assert.equal(platform.version, VERSION);
  assert.equal(launcher.optionalDependencies[platform.name], VERSION, 'the launcher pins its platform package');
  const dir = tempDir('azsql-npm-');
  try {
    const stage = path.join(dir, 'stage');
    cpSync(path.join(PKG, 'npm/azsql-mcp'), path.join(stage, 'launcher'), { recursive: true });
    cpSync(path.join(PKG, 'npm/server-linux-x64'), path.join(stage, 'platform'), { recursive: true });
    mkdirSync(path.join(stage, 'platform/bin'));
    cpSync(BIN, path.join(stage, 'platform/bin/azsql-mcp'));
    const tarballs = path.join(dir, 'tarballs');
    mkdirSync(tarballs);
    for (const p of ['launcher', 'platform']) run('npm', ['pack', '--silent', '--pack-destination', tarballs], { cwd: path.join(stage, p) });
    const files = readdirSync(tarballs).map((f) => path.join(tarballs, f));
    assert.equal(files.length, 2);

    const project = path.join(dir, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'try-azsql', private: true }));
    const npmEnv = { ...process.env, npm_config_cache: path.join(dir, 'npm-cache'), npm_config_update_notifier: 'false' };
    run('npm', ['install', '--no-audit', '--no-fund', '--offline', ...files], { cwd: project, env: npmEnv });
    assert.ok(existsSync(path.join(project, 'node_modules', platform.name, 'bin/azsql-mcp')));

    const env = { PATH: process.env.PATH, HOME: dir, npm_config_cache: npmEnv.npm_config_cache, npm_config_update_notifier: 'false', LOG_LEVEL: 'warning' };
    const r = await stdioSmoke('npx', ['--no-install', 'azsql-mcp', '--transport', 'stdio'], env, project);
    assert.equal(r.server.name, 'azsql-mcp');
    assert.ok(r.tools.includes('insert_data'));
    // The launcher passes the exit status through.
    assert.match(run('npx', ['--no-install', 'azsql-mcp', '--version'], { cwd: project, env }), new RegExp(`azsql-mcp ${VERSION}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('man page: generated from --help, documents the settings', () => {
  const page = path.join(path.dirname(BIN), 'azsql-mcp.1.gz');
  assert.ok(existsSync(page), `${page} (help2man; built with the Release tree)`);
  const roff = gunzipSync(readFileSync(page)).toString();
  assert.match(roff, /^\.TH AZSQL-MCP "1"/m);
  assert.match(roff, /MCP server for Azure SQL and SQL Server/);
  const help = run(BIN, ['--help']);
  for (const flag of ['--allowed-hosts', '--transport', '--read-only', '--auth-type']) {
    assert.ok(help.includes(flag), flag);
    assert.ok(roff.includes(flag.replaceAll('-', '\\-')), `man page lists ${flag}`);
  }
});
