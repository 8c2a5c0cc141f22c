// The courier through Kafka, end to end: `mneme serve` (mneme.kafka, no
// --watch-courier) relays every queued mail to "<prefix>.courier";
// standalone `mneme-courier` processes consume it in the consumer group
// "<prefix>-courier", send over SMTP to an in-process sink (support/smtp.mjs)
// and report on "<prefix>.courier.status", which serve ingests into the log.
// The topics are created by `mneme-migrate --yes`, as in a deployment.
//
// Needs the broker of scripts/test (MNEME_KAFKA_BOOTSTRAP); every run uses
// topic prefixes of its own. Each mneme-courier writes its output to
// courier-<worker>.log in the test directory, which is kept (and named on
// stderr) when a test fails. The flow helpers and the expected Kratos
// messages are shared with courier.test.mjs (support/flows.mjs).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, openSync, closeSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, root } from './support/server.mjs';
import { startSmtpSink, codeIn, linksIn } from './support/smtp.mjs';
import {
  UI, PASSWORD, uuid, SUBJECT, MSG, ALREADY_USED, email, mailTo, wrongCode, local, Jar, call, node, csrfOf,
  sessionCookie, redirectsTo, createIdentity, nativeSend, submitCode, browserInit, courierMessages,
  followRecoveryLink, courierConfig,
} from './support/flows.mjs';

const migrateBin = process.env.MNEME_MIGRATE_BINARY ?? join(root, 'build', 'mneme-migrate');
const courierBin = process.env.MNEME_COURIER_BINARY ?? join(root, 'build', 'mneme-courier');
const CIPHER = 'e2e-cipher-secret-32-characters!'; // secrets.cipher of support/server.mjs
const runId = `ck${process.pid}x${Date.now()}`;

function bootstrap() {
  const b = process.env.MNEME_KAFKA_BOOTSTRAP;
  assert.ok(b, 'scripts/test starts the broker and sets MNEME_KAFKA_BOOTSTRAP');
  return b;
}

// The configuration shared by serve, migrate and every courier (the courier
// tests' config, support/flows.mjs, with Kafka).
function config(sink, kafka, { recoveryUse = 'code' } = {}) {
  return courierConfig(sink, {
    recoveryUse, notifyUnknownRecovery: true, burst: 100000,
    extra: `  kafka: {brokers: "${kafka.brokers}", topic_prefix: ${kafka.prefix}, partitions: ${kafka.partitions}}\n`,
  });
}

// Polls fn until it returns a truthy value.
async function eventually(fn, { timeout = 10000, interval = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) { last = err; }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await sleep(interval);
  }
}

// The courier message to addr once serve has ingested the courier's `sent`
// report from <prefix>.courier.status.
async function sentMessage(server, addr) {
  return eventually(async () => {
    const r = await courierMessages(server, { recipient: addr });
    return r.data.find((m) => m.status === 'sent');
  }, { timeout: 30000, what: `a sent courier message to ${addr}` });
}

// Runs `fn` over items with at most `limit` calls at a time.
async function pool(items, limit, fn) {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(runners);
}

// One deployment: SMTP sink, topics made by mneme-migrate, `mneme serve`
// with the Kafka relay and the status ingestion, and mneme-courier workers
// started on demand.
class Deployment {
  constructor() {
    this.couriers = [];
    this.failed = false;
  }

  async start({ tag, partitions, configOptions }) {
    this.brokers = bootstrap();
    this.prefix = `${runId}${tag}`;
    this.dir = mkdtempSync(join(tmpdir(), 'mneme-e2e-kafka-'));
    this.sink = await startSmtpSink();
    const extraConfig = config(this.sink, { brokers: this.brokers, prefix: this.prefix, partitions }, configOptions);
    // mneme-migrate runs first (it creates the store and the topics), with
    // the same configuration serve is given below.
    this.configPath = join(this.dir, 'mneme.yml');
    writeFileSync(this.configPath, [`dsn: ${join(this.dir, 'store')}`, `secrets: {cipher: [${CIPHER}]}`, extraConfig].join('\n'));
    const migrated = spawnSync(migrateBin, ['-c', this.configPath, '--yes'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(migrated.status, 0, `mneme-migrate: ${migrated.stdout}\n${migrated.stderr}`);
    for (const topic of ['courier', 'courier.status']) {
      assert.ok(migrated.stdout.includes(`created kafka topic ${this.prefix}.${topic}\n`), migrated.stdout);
    }
    // startServer rewrites dir/mneme.yml: the full configuration from here on.
    this.server = await startServer({ dir: this.dir, keep: true, extraConfig });
    assert.match(this.server.log(), /kafka relay started/);
  }

  // Starts one mneme-courier on dir/mneme.yml; its output goes to
  // dir/courier-<worker>.log.
  startCourier(workerId, concurrency = 8) {
    const logPath = join(this.dir, `courier-${workerId}.log`);
    const fd = openSync(logPath, 'a');
    const child = spawn(courierBin, ['-c', this.configPath, '--worker-id', workerId, '--concurrency', String(concurrency)], {
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const c = { workerId, concurrency, pid: child.pid, logPath, exited: null, child };
    child.on('exit', (code, signal) => { c.exited = { code, signal }; });
    this.couriers.push(c);
    return c;
  }

  courierLog(c) {
    return existsSync(c.logPath) ? readFileSync(c.logPath, 'utf8') : '';
  }

  // Resolves once the courier holds partitions of <prefix>.courier.
  async assigned(c, timeout = 30000) {
    await eventually(() => {
      if (c.exited) throw new Error(`mneme-courier ${c.workerId} exited ${JSON.stringify(c.exited)}:\n${this.courierLog(c)}`);
      return /courier partitions assigned/.test(this.courierLog(c));
    }, { timeout, what: `partitions for courier ${c.workerId}` });
  }

  async kill(c, signal) {
    if (c.exited) return;
    const exited = new Promise((r) => c.child.once('exit', r));
    try { process.kill(c.pid, signal); } catch { /* gone already: its exit event is on its way */ }
    await exited;
  }

  // SIGTERM (a courier drains and commits), SIGKILL after 15 s.
  async stopCourier(c) {
    if (c.exited) return;
    const exited = new Promise((r) => c.child.once('exit', r));
    try { process.kill(c.pid, 'SIGTERM'); } catch { /* gone already */ }
    const timer = setTimeout(() => { try { if (!c.exited) process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } }, 15000);
    await exited;
    clearTimeout(timer);
  }

  async stop() {
    for (const c of this.couriers) {
      await this.stopCourier(c);
    }
    await this.server?.stop();
    await this.sink?.stop();
    if (!this.dir) return;
    if (this.failed || process.env.MNEME_E2E_KEEP) {
      console.error(`courier_kafka: logs kept in ${this.dir} (serve.log, courier-*.log)`);
    } else {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  // Runs a test body; a failure keeps the directory with the logs.
  async guard(fn) {
    try {
      return await fn();
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }
}

describe('courier through Kafka: one mneme-courier', () => {
  const dep = new Deployment();
  before(() => dep.guard(() => dep.start({ tag: 'a', partitions: 6 })));
  after(() => dep.stop());
  // The one mneme-courier, started by the first test that needs it.
  let solo;
  const courier = () => (solo ??= (async () => {
    const c = dep.startCourier('solo');
    await dep.assigned(c);
    return c;
  })());

  test('registration mail through Kafka: the code verifies, the message is reported sent', () => dep.guard(async () => {
    await courier();
    const { server, sink } = dep;
    const addr = `kafka-verify-${process.pid}@example.com`;

    const init = await call(`${server.publicUrl}/self-service/registration/api`);
    assert.equal(init.status, 200, init.text);
    const reg = await call(`${server.publicUrl}/self-service/registration?flow=${init.data.id}`, {
      method: 'POST', json: { method: 'password', traits: { email: addr }, password: PASSWORD },
    });
    assert.equal(reg.status, 200, reg.text);
    const show = reg.data.continue_with.find((c) => c.action === 'show_verification_ui');
    assert.ok(show, reg.text);

    const mail = await sink.waitFor((m) => m.to.includes(addr) && m.subject === SUBJECT.verify, 30000);
    assert.equal(mail.from, 'no-reply@mneme.test');
    assert.deepEqual(mail.envelope.rcptTo, [addr]);
    const code = codeIn(mail);

    const done = await call(`${server.publicUrl}/self-service/verification?flow=${show.flow.id}`, {
      method: 'POST', json: { method: 'code', code },
    });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.data.state, 'passed_challenge', done.text);
    const identity = await call(`${server.adminUrl}/admin/identities/${reg.data.identity.id}`);
    assert.equal(identity.data.verifiable_addresses[0].verified, true, identity.text);

    // serve learns the outcome only from the courier's report on <prefix>.courier.status.
    const msg = await eventually(async () => {
      const r = await courierMessages(server, { recipient: addr });
      return r.data.find((m) => m.status === 'sent');
    }, { timeout: 30000, what: `a sent courier message to ${addr}` });
    assert.match(msg.id, uuid);
    assert.equal(msg.template_type, 'verification_code_valid');
    assert.equal(msg.subject, SUBJECT.verify);
    assert.equal(msg.send_count, 1);
    // The Message-ID header is built from the courier message id.
    assert.ok(mail.messageId?.startsWith(`<${msg.id}@`), `Message-ID ${mail.messageId} for message ${msg.id}`);
    const one = await call(`${server.adminUrl}/admin/courier/messages/${msg.id}`);
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.data.dispatches.map((d) => d.status), ['success'], one.text);
    assert.equal(sink.mails.filter((m) => m.to.includes(addr)).length, 1);
  }));

  test('native recovery by code through Kafka: 1060003, a wrong code 4060006, the right one a session, a used one refused', () => dep.guard(async () => {
    await courier();
    const { server, sink } = dep;
    const addr = email('kafka-recover-code');
    const identity = await createIdentity(server, addr);

    const { flow, sent } = await nativeSend(server, 'recovery', addr);
    assert.equal(sent.status, 200, sent.text);
    assert.equal(sent.data.id, flow.id);
    assert.equal(sent.data.state, 'sent_email', sent.text);
    assert.deepEqual(sent.data.ui.messages, [MSG.recoveryCodeSent]);

    // serve relays the message to <prefix>.courier; mneme-courier sends it.
    const mail = await sink.waitFor(mailTo(addr, SUBJECT.recover), 30000);
    assert.equal(mail.from, 'no-reply@mneme.test');
    assert.deepEqual(mail.envelope.rcptTo, [addr]);
    assert.match(mail.text, /please recover access to your account by entering the following code:/);
    const code = codeIn(mail);

    const wrong = await submitCode(server, 'recovery', flow.id, wrongCode(code));
    assert.equal(wrong.status, 200, wrong.text);
    assert.equal(wrong.data.id, flow.id);
    assert.equal(wrong.data.state, 'sent_email', wrong.text);
    assert.deepEqual(wrong.data.ui.messages, [MSG.recoveryCodeInvalid]);

    const ok = await submitCode(server, 'recovery', flow.id, code);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.data.state, 'passed_challenge', ok.text);
    assert.deepEqual(ok.data.continue_with.map((c) => c.action), ['set_ory_session_token', 'show_settings_ui'], ok.text);
    const [token, settings] = ok.data.continue_with;
    assert.match(token.ory_session_token, /^ory_st_/);
    assert.equal(settings.flow.url, `${UI}/settings?flow=${settings.flow.id}`);
    const who = await call(`${server.publicUrl}/sessions/whoami`, { headers: { 'X-Session-Token': token.ory_session_token } });
    assert.equal(who.status, 200, who.text);
    assert.equal(who.data.identity.id, identity.id);
    assert.deepEqual(who.data.authentication_methods.map((m) => m.method), ['code_recovery']);

    const replay = await submitCode(server, 'recovery', flow.id, code);
    assert.equal(replay.status, 400, replay.text);
    assert.equal(replay.data.error.reason, ALREADY_USED, replay.text);
    assert.ok(!replay.text.includes('ory_st_'), replay.text);

    // The courier's `sent` report reached serve through <prefix>.courier.status.
    const msg = await sentMessage(server, addr);
    assert.equal(msg.template_type, 'recovery_code_valid');
    assert.equal(msg.subject, SUBJECT.recover);
    assert.equal(msg.send_count, 1);
    assert.ok(mail.messageId?.startsWith(`<${msg.id}@`), `Message-ID ${mail.messageId} for message ${msg.id}`);
    assert.equal(sink.mails.filter(mailTo(addr)).length, 1);
  }));
});

describe('courier through Kafka: recovery by link', () => {
  const dep = new Deployment();
  before(() => dep.guard(async () => {
    await dep.start({ tag: 'c', partitions: 2, configOptions: { recoveryUse: 'link' } });
    await dep.assigned(dep.startCourier('link'));
  }));
  after(() => dep.stop());

  test('browser recovery by link through Kafka: the mailed link gives a session once, then 4060004', () => dep.guard(async () => {
    const { server, sink } = dep;
    const addr = email('kafka-recover-link');
    const identity = await createIdentity(server, addr);

    const jar = new Jar();
    const flow = await browserInit(server, 'recovery', jar);
    assert.ok([...jar.cookies.keys()].some((k) => k.startsWith('csrf_token')), jar.header());
    assert.ok(csrfOf(flow).length > 0);
    assert.equal(node(flow, 'method').attributes.value, 'link');
    const send = await call(`${server.publicUrl}/self-service/recovery?flow=${flow.id}`, {
      method: 'POST', jar, accept: 'text/html', form: { method: 'link', email: addr, csrf_token: csrfOf(flow) },
    });
    assert.equal(redirectsTo(send, `${UI}/recovery`).searchParams.get('flow'), flow.id);
    const sent = await call(`${server.publicUrl}/self-service/recovery/flows?id=${flow.id}`, { jar });
    assert.equal(sent.status, 200, sent.text);
    assert.equal(sent.data.state, 'sent_email', sent.text);
    assert.deepEqual(sent.data.ui.messages, [MSG.recoveryLinkSent]);

    const mail = await sink.waitFor(mailTo(addr, SUBJECT.recover), 30000);
    assert.deepEqual(mail.envelope.rcptTo, [addr]);
    // Opened anywhere (no cookies): 303 to the settings UI with a session.
    const { href } = await followRecoveryLink(server, mail, flow.id, identity.id);

    // Single use: the second click is a new recovery flow with 4060004 and no session.
    const jar3 = new Jar();
    const again = await call(local(server, href), { jar: jar3, accept: 'text/html' });
    const retry = redirectsTo(again, `${UI}/recovery`);
    assert.notEqual(retry.searchParams.get('flow'), flow.id);
    assert.ok(!sessionCookie(again), again.cookies.join('\n'));
    const fresh = await call(`${server.publicUrl}/self-service/recovery/flows?id=${retry.searchParams.get('flow')}`, { jar: jar3 });
    assert.equal(fresh.status, 200, fresh.text);
    assert.deepEqual(fresh.data.ui.messages, [MSG.recoveryTokenInvalid]);

    const msg = await sentMessage(server, addr);
    assert.equal(msg.template_type, 'recovery_valid');
    assert.equal(msg.send_count, 1);
    assert.ok(mail.messageId?.startsWith(`<${msg.id}@`), `Message-ID ${mail.messageId} for message ${msg.id}`);
    assert.equal(sink.mails.filter(mailTo(addr)).length, 1);
  }));
});

describe('courier through Kafka: scale-out', () => {
  const dep = new Deployment();
  before(() => dep.guard(() => dep.start({ tag: 'b', partitions: 6 })));
  after(() => dep.stop());

  test('scale-out: 3 couriers, 1,000 messages, one killed', { timeout: 170000 }, () => dep.guard(async () => {
    const N = 1000;
    const CONCURRENCY = 8;
    const { server, sink } = dep;
    const t0 = Date.now();
    const couriers = ['w1', 'w2', 'w3'].map((id) => dep.startCourier(id, CONCURRENCY));
    await Promise.all(couriers.map((c) => dep.assigned(c)));
    console.log(`# 3 couriers hold partitions after ${Date.now() - t0} ms`);
    const victim = couriers[0];

    const addrs = Array.from({ length: N }, (_, i) => `kafka-scale-${process.pid}-${i}@example.com`);
    const byRecipient = new Map(addrs.map((a) => [a, []]));
    let seen = 0;
    const mailsOf = (a) => {
      for (; seen < sink.mails.length; seen++) {
        const m = sink.mails[seen];
        for (const r of m.envelope.rcptTo) byRecipient.get(r)?.push(m);
      }
      return byRecipient.get(a);
    };

    // Kill one courier once roughly 300 mails arrived, while the rest is queued or in flight.
    let killedAt = null;
    const killer = (async () => {
      await eventually(() => sink.mails.length >= 300, { timeout: 90000, interval: 10, what: '300 mails at the sink' });
      killedAt = { at: Date.now(), mails: sink.mails.length };
      await dep.kill(victim, 'SIGKILL');
    })();

    // 1,000 recovery flows for unknown addresses: one recovery_code_invalid mail each.
    const submittedAt = new Map();
    const tQueue = Date.now();
    await pool(addrs, 32, async (addr) => {
      const init = await call(`${server.publicUrl}/self-service/recovery/api`);
      assert.equal(init.status, 200, init.text);
      const sent = await call(`${server.publicUrl}/self-service/recovery?flow=${init.data.id}`, {
        method: 'POST', json: { method: 'code', email: addr },
      });
      assert.equal(sent.status, 200, sent.text);
      assert.equal(sent.data.state, 'sent_email', sent.text);
      submittedAt.set(addr, Date.now());
    });
    const queuedMs = Date.now() - tQueue;
    console.log(`# queued ${N} mails in ${queuedMs} ms (${(N / (queuedMs / 1000)).toFixed(0)} flows/s, 32 clients); ${sink.mails.length} at the sink by then`);

    await killer;
    assert.deepEqual(victim.exited, { code: null, signal: 'SIGKILL' });
    const firstMail = sink.mails[0].receivedAt.getTime();
    console.log(`# SIGKILLed courier ${victim.workerId} (pid ${victim.pid}) at ${killedAt.mails} mails, ${killedAt.at - tQueue} ms after queueing began; `
      + `first mail after ${firstMail - tQueue} ms, then ${((killedAt.mails - 1) / ((killedAt.at - firstMail) / 1000)).toFixed(0)} mails/s with 3 couriers`);

    const missing = () => addrs.filter((a) => mailsOf(a).length === 0);
    await eventually(() => missing().length === 0, {
      timeout: 120000, interval: 200, what: `a mail for each of ${N} recipients (the survivors take the killed courier's partitions after its session timed out)`,
    }).catch((err) => {
      const m = missing();
      throw new Error(`${err.message}; ${m.length} recipients without mail, e.g. ${m.slice(0, 5).join(', ')}`);
    });
    const deliveredMs = Date.now() - tQueue;
    // The takeover shows as the longest silence at the sink after the kill.
    const times = sink.mails.map((m) => m.receivedAt.getTime()).filter((t) => t >= killedAt.at).sort((a, b) => a - b);
    let gap = { ms: 0, from: killedAt.at, to: killedAt.at };
    for (let i = 1; i < times.length; i++) {
      if (times[i] - times[i - 1] > gap.ms) gap = { ms: times[i] - times[i - 1], from: times[i - 1], to: times[i] };
    }
    const resumed = times.filter((t) => t >= gap.to);
    const latencies = addrs.map((a) => mailsOf(a)[0].receivedAt.getTime() - submittedAt.get(a))
      .filter((l, i) => mailsOf(addrs[i])[0].receivedAt.getTime() < killedAt.at).sort((a, b) => a - b);
    const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
    console.log(`# every recipient has a mail ${deliveredMs} ms after queueing began (${(N / (deliveredMs / 1000)).toFixed(1)} mails/s overall, takeover included); `
      + `submit-to-sink latency before the kill p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, max ${latencies.at(-1)} ms`);
    console.log(`# takeover: silence of ${gap.ms} ms at the sink (the killed member's session timeout), from ${gap.from - killedAt.at} ms after the kill; `
      + `then ${resumed.length} mails in ${resumed.at(-1) - gap.to} ms`);

    // Every recipient got its one message; a duplicate is the same message (same Message-ID).
    const ids = new Set();
    const duplicated = [];
    for (const a of addrs) {
      const mails = mailsOf(a);
      for (const m of mails) {
        assert.match(m.messageId ?? '', /^<[0-9a-f-]{36}@[^>]+>$/, `Message-ID of a mail to ${a}`);
        assert.equal(m.subject, SUBJECT.recoverUnknown);
      }
      const distinct = new Set(mails.map((m) => m.messageId));
      assert.equal(distinct.size, 1, `${a} received ${mails.length} mails with Message-IDs ${[...distinct].join(', ')}`);
      ids.add(mails[0].messageId);
      if (mails.length > 1) duplicated.push(mails[0].messageId);
    }
    assert.equal(ids.size, N, 'one message per recipient');
    console.log(`# ${sink.mails.length} mails for ${N} recipients: ${duplicated.length} messages sent more than once `
      + `(the killed courier's --concurrency: ${victim.concurrency})${duplicated.length ? `: ${duplicated.join(' ')}` : ''}`);

    // serve ingests every report: all N messages are sent, whoever reported them.
    const tSent = Date.now();
    let lastTotal;
    await eventually(async () => {
      const r = await courierMessages(server, { status: 'sent', page_size: '1' });
      lastTotal = r.headers.get('x-total-count');
      return lastTotal === String(N);
    }, { timeout: 120000, interval: 250, what: `X-Total-Count ${N} for status=sent` }).catch((err) => {
      throw new Error(`${err.message}; last X-Total-Count: ${lastTotal}`);
    });
    console.log(`# status=sent reached ${N} ${Date.now() - tSent} ms after the last recipient had a mail; ${Date.now() - t0} ms in all`);
    const queued = await courierMessages(server, { status: 'queued', page_size: '1' });
    assert.equal(queued.headers.get('x-total-count'), '0');
    const abandoned = await courierMessages(server, { status: 'abandoned', page_size: '1' });
    assert.equal(abandoned.headers.get('x-total-count'), '0');
    for (const c of couriers.slice(1)) {
      assert.equal(c.exited, null, `courier ${c.workerId} is still running:\n${dep.courierLog(c)}`);
    }

    // Redelivery after the crash repeats at most what the killed courier had in flight.
    assert.ok(duplicated.length <= victim.concurrency,
      `${duplicated.length} messages were sent more than once, more than the killed courier's --concurrency ${victim.concurrency}: `
      + `messages it had sent and reported but whose offsets were not yet committed are delivered again to the new owner`);
  }));
});
