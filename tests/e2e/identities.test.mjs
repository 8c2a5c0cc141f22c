// The admin identity API end to end: the real `mneme serve` binary, driven by
// the official SDK @ory/client (IdentityApi), plus plain fetch for the
// malformed requests an SDK cannot send.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Configuration, IdentityApi } from '@ory/client';
import { startServer } from './support/server.mjs';

// Hashes made by third-party tools, all of the password "correct horse battery":
//   python3 -c "import crypt; print(crypt.crypt('correct horse battery', '\$2b\$10\$abcdefghijklmnopqrstuu'))"
const BCRYPT_2B = '$2b$10$abcdefghijklmnopqrstuuCj7fyLDJytXL.TfOiOeiv0fQvSOK1/2';
//   htpasswd -bnBC 10 "" "correct horse battery"
const BCRYPT_2Y = '$2y$10$DufyGkzPRFH9uGIlgFMSKO1v2gaBV67pzRv9jmj2hx8fCBnPyDP.6';
//   echo -n "correct horse battery" | argon2 mnemesaltsalt -id -t 2 -m 12 -p 1 -e   (Debian's argon2)
const ARGON2ID = '$argon2id$v=19$m=4096,t=2,p=1$bW5lbWVzYWx0c2FsdA$eu/IzYziSLx2wIsoR13fhbH6XH7+Lu4K39NmGDoB4/Y';

let server;
let api;
let publicApi;

before(async () => {
  server = await startServer();
  api = new IdentityApi(new Configuration({ basePath: server.adminUrl }));
  publicApi = new IdentityApi(new Configuration({ basePath: server.publicUrl }));
});
after(async () => { await server?.stop(); });

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function expectError(promise, status) {
  try {
    await promise;
  } catch (err) {
    assert.equal(err.response?.status, status, JSON.stringify(err.response?.data));
    const body = err.response.data;
    assert.equal(body.error.code, status);
    assert.ok(typeof body.error.status === 'string' && body.error.status.length > 0);
    assert.ok('message' in body.error);
    return body;
  }
  assert.fail(`expected HTTP ${status}`);
}

async function create(email, extra = {}) {
  const { data, status } = await api.createIdentity({
    createIdentityBody: { schema_id: 'default', traits: { email, name: { first: 'Ada', last: 'L' } }, ...extra },
  });
  assert.equal(status, 201);
  return data;
}

test('create returns Kratos identity JSON with addresses derived from the schema', async () => {
  const id = await create('Ada@Example.COM', { metadata_public: { plan: 'pro' }, metadata_admin: { note: 'vip' } });
  assert.match(id.id, uuid);
  assert.equal(id.schema_id, 'default');
  assert.equal(id.schema_url, 'http://127.0.0.1:4433/schemas/ZGVmYXVsdA');
  assert.equal(id.state, 'active');
  assert.deepEqual(id.traits, { email: 'Ada@Example.COM', name: { first: 'Ada', last: 'L' } });
  assert.equal(id.verifiable_addresses.length, 1);
  assert.equal(id.verifiable_addresses[0].value, 'ada@example.com');
  assert.equal(id.verifiable_addresses[0].verified, false);
  assert.equal(id.verifiable_addresses[0].status, 'pending');
  assert.equal(id.verifiable_addresses[0].via, 'email');
  assert.equal(id.recovery_addresses[0].value, 'ada@example.com');
  assert.deepEqual(id.metadata_public, { plan: 'pro' });
  assert.deepEqual(id.metadata_admin, { note: 'vip' });
  assert.ok(!Number.isNaN(Date.parse(id.created_at)));
  assert.equal(id.credentials, undefined, 'credentials only when include_credential asks');
  const { data: fetched } = await api.getIdentity({ id: id.id });
  assert.deepEqual(fetched.traits, id.traits);
  assert.equal(fetched.verifiable_addresses[0].id, id.verifiable_addresses[0].id);
});

test('a duplicate identifier is 409 and writes nothing', async () => {
  await create('dup@example.com', { credentials: { password: { config: { password: 'a long unique passphrase' } } } });
  const body = await expectError(create('DUP@Example.com', {
    credentials: { password: { config: { password: 'another long passphrase' } } },
  }), 409);
  assert.equal(body.error.reason, 'This identity conflicts with another identity that already exists.');
  const { data } = await api.listIdentities({ credentialsIdentifier: 'dup@example.com' });
  assert.equal(data.length, 1);
});

test('traits that break the schema are 400 with each field\'s message', async () => {
  const body = await expectError(api.createIdentity({
    createIdentityBody: { schema_id: 'default', traits: { email: 'not-an-email', extra: 1 } },
  }), 400);
  const messages = body.error.details.messages;
  const email = messages.find((m) => m.instance_ptr === '#/traits/email');
  assert.ok(email, JSON.stringify(messages));
  // Kratos v1.3 reports format failures with the generic id (ui/container translateValidationError).
  assert.equal(email.messages[0].id, 4000001);
  assert.equal(email.messages[0].text, '"not-an-email" is not valid "email"');
  assert.ok(messages.some((m) => m.messages[0].text === 'additionalProperties "extra" not allowed'));
  const missing = await expectError(api.createIdentity({
    createIdentityBody: { schema_id: 'default', traits: {} },
  }), 400);
  assert.ok(missing.error.details.messages.some((m) => m.messages[0].id === 4000002), JSON.stringify(missing));
  const username = await expectError(api.createIdentity({
    createIdentityBody: { schema_id: 'username', traits: { username: 'ab', age: 12 } },
  }), 400);
  const ids = username.error.details.messages.map((m) => m.messages[0].id).sort();
  assert.deepEqual(ids, [4000003, 4000018]);
});

test('unknown schema_id is 400', async () => {
  const body = await expectError(api.createIdentity({
    createIdentityBody: { schema_id: 'nope', traits: { email: 'x@example.com' } },
  }), 400);
  assert.match(body.error.reason, /nope/);
});

test('malformed bodies get Kratos errors, never 5xx, and write nothing', async () => {
  const before = (await api.listIdentities({ pageSize: 500 })).data.length;
  const post = (body, type = 'application/json') => fetch(`${server.adminUrl}/admin/identities`, {
    method: 'POST', headers: { 'Content-Type': type }, body,
  });
  let r = await post('{"schema_id": "default", "traits": ');
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.code, 400);
  r = await post('schema_id=default', 'application/x-www-form-urlencoded');
  assert.equal(r.status, 415);
  r = await post(JSON.stringify({ schema_id: 'default', traits: { email: 'u@example.com' }, bogus: 1 }));
  assert.equal(r.status, 400);
  assert.match((await r.json()).error.reason, /unknown field "bogus"/);
  r = await post('['.repeat(100000) + ']'.repeat(100000));
  assert.equal(r.status, 400);
  r = await post('x'.repeat(10 * 1024 * 1024));
  assert.equal(r.status, 413);
  r = await post(JSON.stringify({ schema_id: 'default', traits: { email: 'h@example.com' },
    credentials: { password: { config: { hashed_password: '$unknown$abc' } } } }));
  assert.equal(r.status, 400);
  const after = (await api.listIdentities({ pageSize: 500 })).data.length;
  assert.equal(after, before);
});

test('unknown and malformed ids are 404', async () => {
  await expectError(api.getIdentity({ id: '3f1d7e1e-5a5c-4c4b-9d6f-1f2e3d4c5b6a' }), 404);
  await expectError(api.getIdentity({ id: 'not-a-uuid' }), 404);
  await expectError(api.deleteIdentity({ id: '3f1d7e1e-5a5c-4c4b-9d6f-1f2e3d4c5b6a' }), 404);
  await expectError(api.updateIdentity({ id: 'not-a-uuid', updateIdentityBody: { schema_id: 'default', traits: {}, state: 'active' } }), 404);
});

test('imported bcrypt and argon2id hashes are accepted; a hash never leaves the server', async () => {
  for (const [email, hash] of [['b2b@example.com', BCRYPT_2B], ['b2y@example.com', BCRYPT_2Y], ['argon@example.com', ARGON2ID]]) {
    const created = await create(email, { credentials: { password: { config: { hashed_password: hash } } } });
    const { data } = await api.getIdentity({ id: created.id, includeCredential: ['password'] });
    assert.deepEqual(data.credentials.password.identifiers, [email]);
    assert.equal(data.credentials.password.type, 'password');
    assert.ok(!JSON.stringify(data).includes(hash.slice(10)), 'the hash must not be rendered');
    const { data: listed } = await api.listIdentities({ credentialsIdentifier: email.toUpperCase() });
    assert.equal(listed.length, 1);
    assert.equal(listed[0].id, created.id);
  }
  await expectError(api.getIdentity({ id: '3f1d7e1e-5a5c-4c4b-9d6f-1f2e3d4c5b6a', includeCredential: ['bogus'] }), 400);
});

test('update replaces traits and moves the identifier', async () => {
  const created = await create('old@example.com', { credentials: { password: { config: { password: 'yet another passphrase' } } } });
  const { data } = await api.updateIdentity({ id: created.id, updateIdentityBody: {
    schema_id: 'default', state: 'inactive', traits: { email: 'new@example.com' }, metadata_public: { a: 1 },
  } });
  assert.equal(data.state, 'inactive');
  assert.ok(data.state_changed_at);
  assert.equal(data.traits.email, 'new@example.com');
  assert.equal(data.verifiable_addresses[0].value, 'new@example.com');
  assert.equal((await api.listIdentities({ credentialsIdentifier: 'old@example.com' })).data.length, 0);
  assert.equal((await api.listIdentities({ credentialsIdentifier: 'new@example.com' })).data.length, 1);
  // The old identifier is free again.
  await create('old@example.com', { credentials: { password: { config: { password: 'and one more passphrase' } } } });
  await expectError(api.updateIdentity({ id: created.id, updateIdentityBody: {
    schema_id: 'default', state: 'active', traits: { email: 'broken' } } }), 400);
});

test('JSON Patch changes traits and metadata; protected paths are 400', async () => {
  const created = await create('patch@example.com');
  const { data } = await api.patchIdentity({ id: created.id, jsonPatch: [
    { op: 'replace', path: '/traits/email', value: 'patched@example.com' },
    { op: 'add', path: '/metadata_public', value: { tier: 2 } },
    { op: 'replace', path: '/state', value: 'inactive' },
  ] });
  assert.equal(data.traits.email, 'patched@example.com');
  assert.deepEqual(data.metadata_public, { tier: 2 });
  assert.equal(data.state, 'inactive');
  for (const path of ['/id', '/credentials', '/credentials/password', '/state_changed_at']) {
    await expectError(api.patchIdentity({ id: created.id, jsonPatch: [{ op: 'replace', path, value: 'x' }] }), 400);
  }
  await expectError(api.patchIdentity({ id: created.id, jsonPatch: [{ op: 'test', path: '/traits/email', value: 'other' }] }), 400);
  await expectError(api.patchIdentity({ id: created.id, jsonPatch: [{ op: 'replace', path: '/traits/email', value: 'bad' }] }), 400);
  const { data: unchanged } = await api.getIdentity({ id: created.id });
  assert.equal(unchanged.traits.email, 'patched@example.com');
});

test('delete is 204, releases identifiers, and the identity is gone', async () => {
  const created = await create('gone@example.com', { credentials: { password: { config: { password: 'passphrase to delete' } } } });
  const r = await api.deleteIdentity({ id: created.id });
  assert.equal(r.status, 204);
  await expectError(api.getIdentity({ id: created.id }), 404);
  await create('gone@example.com', { credentials: { password: { config: { password: 'passphrase to delete' } } } });
});

test('delete credentials: first factors refused, missing types 404', async () => {
  const created = await create('cred@example.com', { credentials: { password: { config: { password: 'credential passphrase' } } } });
  await expectError(api.deleteIdentityCredentials({ id: created.id, type: 'password' }), 400);
  await expectError(api.deleteIdentityCredentials({ id: created.id, type: 'totp' }), 404);
  const withOidc = await create('oidc@example.com', { credentials: { oidc: { config: { providers: [{ provider: 'github', subject: '42' }] } } } });
  const r = await api.deleteIdentityCredentials({ id: withOidc.id, type: 'oidc' });
  assert.equal(r.status, 204);
  const { data } = await api.getIdentity({ id: withOidc.id, includeCredential: ['oidc'] });
  assert.deepEqual(data.credentials, {});
});

test('batch create reports each item on its own', async () => {
  const { data } = await api.batchPatchIdentities({ patchIdentitiesBody: { identities: [
    { patch_id: '11111111-1111-4111-8111-111111111111', create: { schema_id: 'default', traits: { email: 'batch1@example.com' } } },
    { patch_id: '22222222-2222-4222-8222-222222222222', create: { schema_id: 'default', traits: { email: 'not-an-email' } } },
    { patch_id: '33333333-3333-4333-8333-333333333333', create: { schema_id: 'default', traits: { email: 'batch3@example.com' } } },
  ] } });
  assert.equal(data.identities.length, 3);
  assert.equal(data.identities[0].action, 'create');
  assert.match(data.identities[0].identity, uuid);
  assert.equal(data.identities[0].patch_id, '11111111-1111-4111-8111-111111111111');
  assert.equal(data.identities[1].action, 'error');
  assert.equal(data.identities[1].error.code, 400);
  assert.equal(data.identities[2].action, 'create');
  const tooMany = Array.from({ length: 2001 }, (_, i) => ({ create: { schema_id: 'default', traits: { email: `x${i}@example.com` } } }));
  await expectError(api.batchPatchIdentities({ patchIdentitiesBody: { identities: tooMany } }), 400);
});

test('list filters by ids', async () => {
  const a = await create('ids-a@example.com');
  const b = await create('ids-b@example.com');
  const { data } = await api.listIdentities({ ids: [a.id, b.id] });
  assert.deepEqual(data.map((i) => i.id).sort(), [a.id, b.id].sort());
});

test('schemas are listed and fetched on the public port, by id or base64url id', async () => {
  const { data } = await publicApi.listIdentitySchemas();
  assert.deepEqual(data.map((s) => s.id).sort(), ['default', 'username']);
  const { data: schema } = await publicApi.getIdentitySchema({ id: 'default' });
  assert.equal(schema.properties.traits.required[0], 'email');
  const { data: byUrl } = await publicApi.getIdentitySchema({ id: 'ZGVmYXVsdA' });
  assert.deepEqual(byUrl, schema);
  await expectError(publicApi.getIdentitySchema({ id: 'nope' }), 404);
  const firstPage = await publicApi.listIdentitySchemas({ pageSize: 1 });
  assert.equal(firstPage.data.length, 1);
  const token = /page_token=([^&>]+)[^>]*>;\s*rel="next"/.exec(firstPage.headers.link)?.[1];
  assert.ok(token, firstPage.headers.link);
  const secondPage = await publicApi.listIdentitySchemas({ pageSize: 1, pageToken: token });
  assert.equal(secondPage.data.length, 1);
  assert.notEqual(secondPage.data[0].id, firstPage.data[0].id);
  assert.equal(/rel="next"/.test(secondPage.headers.link), false);
});

test('admin paths on the admin port without /admin redirect with 307', async () => {
  const r = await fetch(`${server.adminUrl}/identities`, { redirect: 'manual' });
  assert.equal(r.status, 307);
  assert.equal(r.headers.get('location'), '/admin/identities');
});
