// Keyset pagination through 1,200 identities with the official SDK: every
// identity exactly once, in id order, following the Link header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Configuration, IdentityApi } from '@ory/client';
import { startServer } from './support/server.mjs';

let server;
let api;
before(async () => {
  server = await startServer();
  api = new IdentityApi(new Configuration({ basePath: server.adminUrl }));
});
after(async () => { await server?.stop(); });

function nextToken(link) {
  const m = /<[^>]*page_token=([^&>]+)[^>]*>;\s*rel="next"/.exec(link ?? '');
  return m ? decodeURIComponent(m[1]) : undefined;
}

test('pages through 1,200 identities', async () => {
  const created = new Set();
  for (let start = 0; start < 1200; start += 600) {
    const identities = Array.from({ length: 600 }, (_, i) => ({
      create: { schema_id: 'default', traits: { email: `page-${start + i}@example.com` } },
    }));
    const { data } = await api.batchPatchIdentities({ patchIdentitiesBody: { identities } });
    for (const r of data.identities) {
      assert.equal(r.action, 'create', JSON.stringify(r));
      created.add(r.identity);
    }
  }
  assert.equal(created.size, 1200);
  const seen = [];
  let token;
  let pages = 0;
  do {
    const r = await api.listIdentities({ pageSize: 500, pageToken: token });
    assert.ok(r.data.length <= 500);
    seen.push(...r.data.map((i) => i.id));
    token = nextToken(r.headers.link);
    pages += 1;
  } while (token);
  assert.equal(pages, 3);
  assert.equal(seen.length, 1200);
  assert.equal(new Set(seen).size, 1200);
  assert.deepEqual([...seen].sort(), seen, 'keyset order is by id');
  for (const id of seen) assert.ok(created.has(id));
  await assert.rejects(api.listIdentities({ pageToken: '!!!' }), (err) => err.response.status === 400);
});
