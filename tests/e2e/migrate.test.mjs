// mneme-migrate end to end: serve refuses a store that needs migrating (or
// comes from the future) and names the command; migrate prepares it, says
// what it did, and a second run is a no-op; it refuses while serve holds the
// store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { Configuration, IdentityApi } from '@ory/client';
import { startServer, root } from './support/server.mjs';

const migrateBin = process.env.MNEME_MIGRATE_BINARY ?? join(root, 'build', 'mneme-migrate');
const storeTool = process.env.MNEME_STORE_TOOL ?? join(root, 'build', 'store_tool');
const run = (bin, args) => spawnSync(bin, args, { encoding: 'utf8', timeout: 120000 });

test('an aged store is refused by serve, prepared by migrate, then served with its data', async () => {
  let server = await startServer({ keep: true });
  const dir = server.dir;
  const config = join(dir, 'mneme.yml');
  const store = join(dir, 'store');
  try {
    const api = new IdentityApi(new Configuration({ basePath: server.adminUrl }));
    const ids = [];
    for (let i = 0; i < 30; i++) {
      const { data } = await api.createIdentity({ createIdentityBody: {
        schema_id: 'default', traits: { email: `mig-${i}@example.com` } } });
      ids.push(data.id);
    }
    // Migrate refuses while serve holds the store.
    const busy = run(migrateBin, ['-c', config, '--yes']);
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, /store is in use by another process/);
    await server.stop();

    // Age the store: no layout version, and identities_v1 as if it were a new projection version.
    assert.equal(run(storeTool, ['set-layout', store, '0']).status, 0);
    assert.equal(run(storeTool, ['reset-projection', store, 'identities_v1']).status, 0);
    await assert.rejects(startServer({ dir, keep: true }), /run `mneme-migrate -c .* --yes` first/);

    const status = run(migrateBin, ['status', '-c', config]);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /layout version: 0 \(this mneme: 1\)/);
    assert.match(status.stdout, /identities_v1\s+\S+\s+0 behind: needs migrate/);
    assert.match(status.stdout, /pending upcasts: 0/);

    const dry = run(migrateBin, ['-c', config]);
    assert.equal(dry.status, 2);
    assert.match(dry.stderr, /pass --yes/);

    const first = run(migrateBin, ['-c', config, '--yes']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /layout version 0 -> 1/);
    assert.match(first.stdout, /built projection identities_v1: folded events 1\.\.\d+/);
    assert.match(first.stderr, /folding identities_v1 \d+\/\d+/);
    const second = run(migrateBin, ['-c', config, '--yes']);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /the store is up to date: nothing to do/);

    server = await startServer({ dir, keep: true });
    const api2 = new IdentityApi(new Configuration({ basePath: server.adminUrl }));
    const { data } = await api2.getIdentity({ id: ids[17] });
    assert.equal(data.traits.email, 'mig-17@example.com');
    const { data: list } = await api2.listIdentities({ pageSize: 500 });
    assert.equal(list.length, 30);
    await server.stop();

    // A store from the future is refused by both.
    assert.equal(run(storeTool, ['set-layout', store, '99']).status, 0);
    await assert.rejects(startServer({ dir, keep: true }), /newer than this binary understands/);
    const future = run(migrateBin, ['-c', config, '--yes']);
    assert.equal(future.status, 1);
    assert.match(future.stderr, /newer than this binary understands/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// With Kafka configured, migrate creates mneme's topics (the broker of
// scripts/test), says so, and a second run creates nothing.
test('with mneme.kafka, migrate creates the topics once', async () => {
  const bootstrap = process.env.MNEME_KAFKA_BOOTSTRAP;
  assert.ok(bootstrap, 'scripts/test starts the broker and sets MNEME_KAFKA_BOOTSTRAP');
  const server = await startServer({ keep: true });
  const dir = server.dir;
  await server.stop();
  const prefix = `migrate${process.pid}${Date.now()}`;
  const { writeFileSync, readFileSync } = await import('node:fs');
  const config = join(dir, 'mneme.yml');
  writeFileSync(config, `${readFileSync(config, 'utf8')}\nmneme:\n  kafka: {brokers: "${bootstrap}", topic_prefix: ${prefix}, partitions: 2}\n`);
  try {
    const first = run(migrateBin, ['-c', config, '--yes']);
    assert.equal(first.status, 0, first.stderr);
    for (const topic of ['events', 'courier', 'courier.status', 'keys']) {
      assert.match(first.stdout, new RegExp(`created kafka topic ${prefix}\\.${topic.replace('.', '\\.')}\\n`));
    }
    const second = run(migrateBin, ['-c', config, '--yes']);
    assert.equal(second.status, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /created kafka topic/);
    assert.match(second.stdout, /nothing to do/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A projection this build no longer has (an old version's family) is kept by
// serve, listed by status, and dropped by migrate, once.
test('migrate drops the column family of a retired projection version', async () => {
  const server = await startServer({ keep: true });
  const dir = server.dir;
  const config = join(dir, 'mneme.yml');
  const store = join(dir, 'store');
  await server.stop();
  try {
    assert.equal(run(storeTool, ['add-retired', store, 'identities_v0']).status, 0);
    const again = await startServer({ dir, keep: true });  // serve does not mind
    await again.stop();
    const status = run(migrateBin, ['status', '-c', config]);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /retired projection family: identities_v0/);
    const first = run(migrateBin, ['-c', config, '--yes']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /dropping retired projection family identities_v0/);
    const second = run(migrateBin, ['-c', config, '--yes']);
    assert.match(second.stdout, /nothing to do/);
    const after = run(migrateBin, ['status', '-c', config]);
    assert.doesNotMatch(after.stdout, /retired projection family/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
