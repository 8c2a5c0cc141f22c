// Audit replay and erasure end to end: an identity's history, its state at
// chosen instants (equal to what the API answered then), and crypto-shredding
// that leaves the history's shape but no personal byte on disk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Configuration, IdentityApi } from '@ory/client';
import { startServer, binary } from './support/server.mjs';

let server;
let api;
before(async () => {
  server = await startServer({ keep: true });
  api = new IdentityApi(new Configuration({ basePath: server.adminUrl }));
});
after(async () => {
  await server?.stop();
  rmSync(server.dir, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const history = async (id, query = '') => {
  const r = await fetch(`${server.adminUrl}/admin/identities/${id}/history${query}`);
  return { status: r.status, body: await r.json(), link: r.headers.get('link') };
};

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test('history lists every event and the state at three instants equals what the API said then', async () => {
  const before = new Date().toISOString();
  await sleep(5);
  const { data: created } = await api.createIdentity({ createIdentityBody: {
    schema_id: 'default', traits: { email: 'audit-a@example.com', name: { first: 'Ann' } },
    credentials: { password: { config: { password: 'an audited passphrase' } } },
  } });
  const { data: seen1 } = await api.getIdentity({ id: created.id });
  await sleep(5);
  const t1 = new Date().toISOString();
  await sleep(5);
  const { data: updated } = await api.updateIdentity({ id: created.id, updateIdentityBody: {
    schema_id: 'default', state: 'active', traits: { email: 'audit-b@example.com', name: { first: 'Ann' } },
  } });
  const { data: seen2 } = await api.getIdentity({ id: created.id });
  await sleep(5);
  const t2 = new Date().toISOString();
  await sleep(5);
  await api.patchIdentity({ id: created.id, jsonPatch: [{ op: 'replace', path: '/state', value: 'inactive' },
    { op: 'add', path: '/metadata_admin', value: { reason: 'audit' } }] });
  const { data: seen3 } = await api.getIdentity({ id: created.id });
  await sleep(5);
  const t3 = new Date().toISOString();
  assert.equal(updated.traits.email, 'audit-b@example.com');

  for (const [t, seen] of [[t1, seen1], [t2, seen2], [t3, seen3]]) {
    const r = await history(created.id, `?at=${encodeURIComponent(t)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, seen, `state at ${t}`);
  }
  assert.equal((await history(created.id, `?at=${encodeURIComponent(before)}`)).status, 404);
  assert.equal((await history(created.id, '?at=yesterday')).status, 400);

  const h = await history(created.id);
  assert.equal(h.status, 200);
  const types = h.body.map((e) => e.type);
  assert.deepEqual(types, ['identity.created', 'identity.credential_set', 'identity.traits_updated',
    'identity.credential_set', 'identity.state_changed', 'identity.metadata_admin_updated']);
  for (const [i, e] of h.body.entries()) {
    assert.equal(e.version, i + 1);
    assert.ok(e.position > 0);
    assert.equal(e.actor, 'admin');
    assert.ok(e.request_id.length > 0);
    assert.ok(!Number.isNaN(Date.parse(e.time)));
  }
  const traitsChange = h.body[2].changes.map((c) => c.path);
  assert.ok(traitsChange.includes('/traits/email'), JSON.stringify(h.body[2].changes));
  assert.ok(h.body[4].changes.some((c) => c.path === '/state' && c.value === 'inactive'));
  const text = JSON.stringify(h.body);
  assert.ok(!text.includes('hashed_password') && !text.includes('$2b$'), 'no secrets in the history');

  const paged = await history(created.id, '?page_size=4');
  assert.equal(paged.body.length, 4);
  const token = /page_token=([^&>]+)[^>]*>;\s*rel="next"/.exec(paged.link)?.[1];
  const rest = await history(created.id, `?page_size=4&page_token=${token}`);
  assert.deepEqual(rest.body.map((e) => e.version), [5, 6]);
});

test('a deleted identity keeps its history; unknown ids are 404', async () => {
  const { data: created } = await api.createIdentity({ createIdentityBody: {
    schema_id: 'default', traits: { email: 'audit-del@example.com' } } });
  await api.deleteIdentity({ id: created.id });
  const h = await history(created.id);
  assert.deepEqual(h.body.map((e) => e.type), ['identity.created', 'identity.deleted']);
  assert.equal((await history('3f1d7e1e-5a5c-4c4b-9d6f-1f2e3d4c5b6a')).status, 404);
  assert.equal((await history('nope')).status, 404);
});

test('the audit CLI shows history, a past state and an export', async () => {
  const { data: created } = await api.createIdentity({ createIdentityBody: {
    schema_id: 'default', traits: { email: 'audit-cli@example.com' } } });
  const at = new Date(Date.now() + 1000).toISOString();
  const run = (args) => spawnSync(binary, ['audit', ...args, '-e', server.adminUrl], { encoding: 'utf8' });
  const table = run(['identity', created.id]);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^VERSION\s+TIME\s+TYPE\s+ACTOR\s+CHANGED/);
  assert.match(table.stdout, /identity\.created\s+admin\s+.*\/traits/);
  const past = run(['identity', created.id, '--at', at]);
  assert.equal(JSON.parse(past.stdout).traits.email, 'audit-cli@example.com');
  const exported = JSON.parse(run(['export', created.id]).stdout);
  assert.equal(exported.identity.id, created.id);
  assert.equal(exported.history.length, 1);
});

test('erasure crypto-shreds: the history keeps its shape and no file holds personal data', async () => {
  const email = 'zelda-erase-7f3c@example.com';
  const last = 'Quixote-Marshwood';
  const { data: created } = await api.createIdentity({ createIdentityBody: {
    schema_id: 'default', traits: { email, name: { first: 'Zelda', last } },
    metadata_public: { nickname: 'zq-erase-nick' },
    credentials: { password: { config: { password: 'to be forgotten soon' } } },
  } });
  await api.updateIdentity({ id: created.id, updateIdentityBody: {
    schema_id: 'default', state: 'active', traits: { email, name: { first: 'Zelda', last: `${last}-Two` } } } });
  const r = await fetch(`${server.adminUrl}/admin/identities/${created.id}?erase=true`, { method: 'DELETE' });
  assert.equal(r.status, 204);
  await assert.rejects(api.getIdentity({ id: created.id }), (e) => e.response.status === 404);
  const h = await history(created.id);
  // PUT replaces metadata too (as in Kratos): metadata_public becomes null.
  assert.deepEqual(h.body.map((e) => e.type), ['identity.created', 'identity.credential_set',
    'identity.traits_updated', 'identity.metadata_public_updated', 'identity.deleted', 'identity.erased']);
  assert.equal(h.body[0].erased, true);
  assert.equal(h.body[0].actor, 'admin');
  assert.ok(!JSON.stringify(h.body).includes('Zelda'));
  // The identifier is free again, and a second erasure is 404.
  const again = await fetch(`${server.adminUrl}/admin/identities/${created.id}?erase=true`, { method: 'DELETE' });
  assert.equal(again.status, 404);

  await server.stop();
  const needles = [email, 'Zelda', last, 'zq-erase-nick'];
  for (const file of filesUnder(join(server.dir, 'store'))) {
    const bytes = readFileSync(file);
    for (const needle of needles) {
      assert.equal(bytes.indexOf(needle), -1, `${needle} found in ${file}`);
    }
  }
  // Restart on the same store: the history is still there.
  server = await startServer({ dir: server.dir, keep: true });
  const after = await (await fetch(`${server.adminUrl}/admin/identities/${created.id}/history`)).json();
  assert.equal(after.length, 6);
});

// Self-service activity joins the identity's history (issue 6), and erasure
// shreds what it holds: the device of each sign-in and what was typed.
test('sign-ins, failed attempts and logouts are in the history; erasure shreds them too', async () => {
  const email = 'walt-activity-5d2e@example.com';
  const agent = 'ErasureAgent-9q/1.0';
  // The server was restarted by the test before: a client for its new port.
  const admin = new IdentityApi(new Configuration({ basePath: server.adminUrl }));
  const { data: created } = await admin.createIdentity({ createIdentityBody: {
    schema_id: 'default', traits: { email },
    credentials: { password: { config: { password: 'a long passphrase to forget' } } },
  } });
  const pub = server.publicUrl;
  const attempt = async (password) => {
    const flow = await (await fetch(`${pub}/self-service/login/api`)).json();
    return fetch(`${pub}/self-service/login?flow=${flow.id}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': agent },
      body: JSON.stringify({ method: 'password', identifier: email, password }),
    });
  };
  assert.equal((await attempt('wrong passphrase here')).status, 400);
  const ok = await attempt('a long passphrase to forget');
  assert.equal(ok.status, 200);
  const { session_token: token, session } = await ok.json();
  const out = await fetch(`${pub}/self-service/logout/api`, {
    method: 'DELETE', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ session_token: token }),
  });
  assert.equal(out.status, 204);

  const h = await history(created.id);
  assert.equal(h.status, 200);
  const types = h.body.map((e) => e.type);
  assert.deepEqual(types, ['identity.created', 'identity.credential_set', 'flow.failed', 'session.issued',
    'flow.completed', 'session.revoked']);
  const positions = h.body.map((e) => e.position);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'in log order');
  const failed = h.body[2];
  assert.equal(failed.flow.kind, 'login');
  assert.deepEqual(failed.flow.message_ids, [4000006]);
  const issued = h.body[3];
  assert.equal(issued.session.id, session.id);
  assert.equal(issued.session.devices[0].user_agent, agent);
  assert.equal(issued.session.devices[0].ip_address, '127.0.0.1');
  assert.equal(h.body[4].flow.session_id, session.id);
  assert.equal(h.body[5].session.reason, 'logout');
  // Paging by position walks the merged list.
  const first = await history(created.id, '?page_size=4');
  assert.equal(first.body.length, 4);
  const next = /page_token=([A-Za-z0-9_-]+)/.exec(first.link)[1];
  const rest = await history(created.id, `?page_size=4&page_token=${next}`);
  assert.deepEqual([...first.body, ...rest.body].map((e) => e.type), types);

  const r = await fetch(`${server.adminUrl}/admin/identities/${created.id}?erase=true`, { method: 'DELETE' });
  assert.equal(r.status, 204);
  const erased = await history(created.id);
  assert.deepEqual(erased.body.filter((e) => !e.type.startsWith('identity.')).map((e) => e.type),
    ['flow.failed', 'session.issued', 'flow.completed', 'session.revoked']);
  const issuedAfter = erased.body.find((e) => e.type === 'session.issued');
  assert.equal(issuedAfter.erased, true);
  assert.deepEqual(issuedAfter.session.devices, []);
  assert.ok(!JSON.stringify(erased.body).includes(agent));

  await server.stop();
  for (const file of filesUnder(join(server.dir, 'store'))) {
    const bytes = readFileSync(file);
    for (const needle of [email, agent]) {
      assert.equal(bytes.indexOf(needle), -1, `${needle} found in ${file}`);
    }
  }
  server = await startServer({ dir: server.dir, keep: true });
});
