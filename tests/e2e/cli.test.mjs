// `mneme identities import|list|get|delete` against a running server, as
// Kratos's CLI is used: -e/--endpoint or KRATOS_ADMIN_URL, --format json|table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, binary } from './support/server.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function cli(args, { input, env = {} } = {}) {
  const r = spawnSync(binary, ['identities', ...args], {
    input, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('import from a file shows progress and creates every identity', () => {
  const file = join(server.dir, 'identities.json');
  const bodies = Array.from({ length: 1500 }, (_, i) => ({
    schema_id: 'default',
    traits: { email: `cli-${i}@example.com` },
    credentials: { password: { config: { hashed_password: '$2b$10$abcdefghijklmnopqrstuuCj7fyLDJytXL.TfOiOeiv0fQvSOK1/2' } } },
  }));
  writeFileSync(file, JSON.stringify(bodies));
  const r = cli(['import', file, '-e', server.adminUrl, '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /\[#+\] 1500\/1500/);
  assert.match(r.err, /imported 1500 identities, 0 failed/);
  const ids = JSON.parse(r.out);
  assert.equal(ids.length, 1500);
});

test('import from stdin with KRATOS_ADMIN_URL; a bad item fails the command', () => {
  const input = JSON.stringify({ schema_id: 'default', traits: { email: 'stdin@example.com' } });
  const ok = cli(['import', '-'], { input, env: { KRATOS_ADMIN_URL: server.adminUrl } });
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^[0-9a-f-]{36}\n$/);
  const bad = cli(['import', '-', '-e', server.adminUrl], { input: JSON.stringify({ schema_id: 'default', traits: { email: 'nope' } }) });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /1 failed/);
});

test('list, get and delete', () => {
  const created = cli(['import', '-', '-e', server.adminUrl, '--format', 'json'], {
    input: JSON.stringify({ schema_id: 'default', traits: { email: 'getme@example.com' } }),
  });
  const id = JSON.parse(created.out)[0].id;
  const table = cli(['get', id, '-e', server.adminUrl]);
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /^ID\s+VERIFIED ADDRESS 1\s+RECOVERY ADDRESS 1\s+SCHEMA ID/);
  assert.match(table.out, new RegExp(`${id}\\s+getme@example.com`));
  const json = cli(['get', id, '-e', server.adminUrl, '--format', 'json']);
  assert.equal(JSON.parse(json.out).traits.email, 'getme@example.com');
  const list = cli(['list', '-e', server.adminUrl, '--format', 'json', '--page-size', '2']);
  assert.equal(list.code, 0, list.err);
  assert.equal(JSON.parse(list.out).length, 2);
  const del = cli(['delete', id, '-e', server.adminUrl]);
  assert.equal(del.code, 0, del.err);
  const gone = cli(['get', id, '-e', server.adminUrl]);
  assert.equal(gone.code, 1);
  assert.match(gone.err, /HTTP 404/);
});

test('no endpoint is a clear error', () => {
  const r = cli(['list'], { env: { KRATOS_ADMIN_URL: '' } });
  assert.equal(r.code, 1);
  assert.match(r.err, /admin endpoint/);
});

test('hashers argon2 calibrate prints parameters for the target, with progress', () => {
  const r = spawnSync(binary, ['hashers', 'argon2', 'calibrate', '--expected-duration', '40ms',
    '--expected-deviation', '200ms', '--start-memory', '4MB', '--max-memory', '256MB', '--parallelism', '1'],
  { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
  const params = JSON.parse(r.stdout);
  assert.match(params.memory, /^\d+KB$/);
  assert.ok(params.iterations >= 1);
  assert.equal(params.parallelism, 1);
  assert.ok(r.stderr.split('\n').filter(Boolean).length >= 2, 'progress lines on stderr');
});
