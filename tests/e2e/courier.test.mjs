// Verification and recovery by code and by link, end to end through the
// courier: the real `mneme serve --watch-courier` sends its mails over SMTP to
// an in-process sink (support/smtp.mjs), the tests read codes and links from
// those mails and finish the flows. Expectations are Ory Kratos v1.3.1's
// (selfservice/strategy/code, selfservice/strategy/link, courier/handler.go,
// text/*.go); /tmp/courier-e2e-notes.md lists every detail relied on. The
// shared helpers and expected messages are in support/flows.mjs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Configuration, CourierApi, FrontendApi, IdentityApi } from '@ory/client';
import { startServer } from './support/server.mjs';
import { startSmtpSink, codeIn, linksIn } from './support/smtp.mjs';
import {
  UI, BASE, PASSWORD, uuid, SUBJECT, MSG, TOO_OFTEN, ALREADY_USED, generic,
  email, mailTo, mailsTo, wrongCode, local, Jar, call, node, names, csrfOf, sessionCookie, redirectsTo,
  createIdentity, getIdentity, nativeSend, submitCode, browserInit, courierMessages, followRecoveryLink,
  courierConfig,
} from './support/flows.mjs';

const RECOVERED = /^You successfully recovered your account\. Please change your password or set up an alternative login method \(e\.g\. social sign in\) within the next \d+\.\d\d minutes\.$/;

function config(sink, { notifyUnknown = false, ...options } = {}) {
  return courierConfig(sink, {
    ...options, notifyUnknownVerification: notifyUnknown, notifyUnknownRecovery: notifyUnknown,
  });
}

async function startWithSink(sinkOptions = {}, configOptions = {}, serverOptions = {}) {
  const sink = await startSmtpSink(sinkOptions);
  try {
    const server = await startServer({ extraConfig: config(sink, configOptions), args: ['--watch-courier'], ...serverOptions });
    return { sink, server };
  } catch (err) {
    await sink.stop();
    throw err;
  }
}

function clients(server) {
  return {
    front: new FrontendApi(new Configuration({ basePath: server.publicUrl })),
    admin: new IdentityApi(new Configuration({ basePath: server.adminUrl })),
    courier: new CourierApi(new Configuration({ basePath: server.adminUrl })),
  };
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
    if (Date.now() > end) throw last ?? new Error(`timed out waiting for ${what}`);
    await sleep(interval);
  }
}

// What a client can observe of an answer, without per-request values.
const shape = (r) => ({
  status: r.status,
  type: r.data?.type,
  state: r.data?.state,
  messages: r.data?.ui?.messages,
  nodes: r.data?.ui?.nodes?.map((n) => [n.type, n.group, n.attributes.name, n.attributes.type]),
});

// The courier message to addr once its status is `status`.
async function courierMessage(server, addr, status = 'sent') {
  return eventually(async () => {
    const r = await courierMessages(server, { recipient: addr });
    return r.data.find((m) => m.status === status);
  }, { what: `a ${status} courier message to ${addr}` });
}

describe('code method: verification and recovery by code', () => {
  let sink;
  let server;
  let front;
  let admin;
  let courier;
  before(async () => {
    ({ sink, server } = await startWithSink());
    ({ front, admin, courier } = clients(server));
  });
  after(async () => { await server?.stop(); await sink?.stop(); });

  describe('verification', () => {
    test('native password registration mails verification_code_valid; the code verifies the address', async () => {
      const addr = email('verify-native');
      const { data: regFlow } = await front.createNativeRegistrationFlow();
      const { data: reg } = await front.updateRegistrationFlow({
        flow: regFlow.id,
        updateRegistrationFlowBody: { method: 'password', traits: { email: addr }, password: PASSWORD },
      });
      assert.match(reg.session_token, /^ory_st_/);
      const show = reg.continue_with.find((c) => c.action === 'show_verification_ui');
      assert.ok(show, JSON.stringify(reg.continue_with));
      assert.match(show.flow.id, uuid);
      // api flows get no `url` (omitempty): only browser flows have a UI to show.
      assert.deepEqual(show, { action: 'show_verification_ui', flow: { id: show.flow.id, verifiable_address: addr } });
      assert.deepEqual(reg.continue_with.find((c) => c.action === 'set_ory_session_token'),
        { action: 'set_ory_session_token', ory_session_token: reg.session_token });

      const mail = await sink.waitFor(mailTo(addr, SUBJECT.verify));
      assert.equal(mail.from, 'no-reply@mneme.test');
      assert.equal(mail.fromName, 'Mneme');
      assert.deepEqual(mail.envelope.rcptTo, [addr]);
      assert.match(mail.text, /please verify your account by entering the following code:/);
      const code = codeIn(mail);
      assert.match(code, /^\d{6}$/);
      assert.ok(mail.html.includes(code), 'the HTML part carries the code too');
      // VerificationURL: <link base>/self-service/verification?code=<code>&flow=<id> (url.Values sorts keys).
      const link = new URL(linksIn(mail)[0]);
      assert.equal(`${link.origin}${link.pathname}`, `${BASE}/self-service/verification`);
      assert.equal(link.searchParams.get('flow'), show.flow.id);
      assert.equal(link.searchParams.get('code'), code);

      const { data: pending } = await front.getVerificationFlow({ id: show.flow.id });
      assert.equal(pending.type, 'api');
      assert.equal(pending.state, 'sent_email');
      assert.deepEqual(pending.ui.messages, [MSG.verificationCodeSent]);
      assert.deepEqual(node(pending, 'code').meta.label, { id: 1070011, text: 'Verification code', type: 'info' });
      assert.equal(node(pending, 'code').attributes.required, true);

      const { data: done, status } = await front.updateVerificationFlow({
        flow: show.flow.id, updateVerificationFlowBody: { method: 'code', code },
      });
      assert.equal(status, 200);
      assert.equal(done.id, show.flow.id);
      assert.equal(done.state, 'passed_challenge');
      assert.deepEqual(done.ui.messages, [MSG.verified]);
      assert.equal(done.ui.method, 'GET');
      assert.equal(done.ui.action, `${UI}/`);
      assert.deepEqual(done.ui.nodes.map((n) => [n.type, n.group, n.attributes.id, n.attributes.href]),
        [['a', 'code', 'continue', `${UI}/`]]);
      assert.deepEqual(done.ui.nodes[0].attributes.title, { id: 1070009, text: 'Continue', type: 'info' });

      const { data: identity } = await admin.getIdentity({ id: reg.identity.id });
      const va = identity.verifiable_addresses[0];
      assert.equal(va.value, addr);
      assert.equal(va.via, 'email');
      assert.equal(va.verified, true);
      assert.equal(va.status, 'completed');
      assert.ok(Date.parse(va.verified_at), JSON.stringify(va));
      const who = await front.toSession({ xSessionToken: reg.session_token });
      assert.equal(who.data.identity.verifiable_addresses[0].verified, true);

      const msg = await courierMessage(server, addr);
      assert.equal(msg.template_type, 'verification_code_valid');
      assert.equal(msg.subject, SUBJECT.verify);
    });

    test('browser registration: the mailed link pre-fills the code, the form submit verifies', async () => {
      const addr = email('verify-browser');
      const regJar = new Jar();
      const regFlow = await browserInit(server, 'registration', regJar);
      const reg = await call(`${server.publicUrl}/self-service/registration?flow=${regFlow.id}`, {
        method: 'POST', jar: regJar, accept: 'text/html',
        form: { 'traits.email': addr, password: PASSWORD, method: 'password', csrf_token: csrfOf(regFlow) },
      });
      assert.equal(reg.status, 303, reg.text);
      assert.equal(reg.headers.get('location'), `${UI}/`);

      const mail = await sink.waitFor(mailTo(addr, SUBJECT.verify));
      const code = codeIn(mail);
      const link = new URL(linksIn(mail)[0]);
      const flowId = link.searchParams.get('flow');
      assert.match(flowId, uuid);
      // The link opened in another browser (no cookies): 303 to the verification UI,
      // a fresh CSRF cookie, and the code pre-filled in the flow.
      const jar = new Jar();
      const click = await call(local(server, link.href), { jar, accept: 'text/html' });
      const loc = redirectsTo(click, `${UI}/verification`);
      assert.equal(loc.searchParams.get('flow'), flowId);
      const prefilled = await call(`${server.publicUrl}/self-service/verification/flows?id=${flowId}`, { jar });
      assert.equal(prefilled.status, 200, prefilled.text);
      assert.equal(prefilled.data.type, 'browser');
      assert.equal(prefilled.data.state, 'sent_email');
      assert.equal(node(prefilled.data, 'code').attributes.value, code);
      const submit = await call(`${server.publicUrl}/self-service/verification?flow=${flowId}`, {
        method: 'POST', jar, accept: 'text/html', form: { method: 'code', code, csrf_token: csrfOf(prefilled.data) },
      });
      assert.equal(redirectsTo(submit, `${UI}/verification`).searchParams.get('flow'), flowId);
      const done = await call(`${server.publicUrl}/self-service/verification/flows?id=${flowId}`, { jar });
      assert.equal(done.status, 200, done.text);
      assert.equal(done.data.state, 'passed_challenge');
      assert.deepEqual(done.data.ui.messages, [MSG.verified]);
      const who = await call(`${server.publicUrl}/sessions/whoami`, { jar: regJar });
      assert.equal(who.status, 200, who.text);
      const identity = await getIdentity(server, who.data.identity.id);
      assert.equal(identity.verifiable_addresses[0].verified, true);
    });

    test('native verification flow: email -> 1080003 + mail; wrong code 4070006; replay after success: flow replaced, 4070002', async () => {
      const addr = email('verify-flow');
      const identity = await createIdentity(server, addr);
      const { flow, sent } = await nativeSend(server, 'verification', addr);
      assert.equal(sent.status, 200, sent.text);
      assert.equal(sent.data.id, flow.id);
      assert.equal(sent.data.state, 'sent_email');
      assert.deepEqual(sent.data.ui.messages, [MSG.verificationCodeSent]);
      assert.ok(node(sent.data, 'code'), sent.text);
      const resend = sent.data.ui.nodes.find((n) => n.attributes.name === 'email');
      assert.equal(resend.attributes.type, 'submit');
      assert.equal(resend.attributes.value, addr);
      assert.deepEqual(resend.meta.label, { id: 1070008, text: 'Resend code', type: 'info' });

      const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.verify)));
      const wrong = await submitCode(server, 'verification', flow.id, wrongCode(code));
      assert.equal(wrong.status, 200, wrong.text);
      assert.equal(wrong.data.id, flow.id);
      assert.equal(wrong.data.state, 'sent_email');
      assert.deepEqual(wrong.data.ui.messages, [MSG.verificationCodeInvalid]);

      const ok = await submitCode(server, 'verification', flow.id, code);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.data.state, 'passed_challenge');
      assert.equal((await getIdentity(server, identity.id)).verifiable_addresses[0].verified, true);

      const again = await submitCode(server, 'verification', flow.id, code);
      assert.equal(again.status, 410, again.text);
      assert.equal(again.data.error.id, 'self_service_flow_replaced');
      assert.equal(again.data.error.code, 410);
      assert.equal(again.data.error.reason, 'An error occured, please use the new flow.');
      assert.match(again.data.use_flow_id, uuid);
      assert.notEqual(again.data.use_flow_id, flow.id);
      const fresh = await call(`${server.publicUrl}/self-service/verification/flows?id=${again.data.use_flow_id}`);
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal(fresh.data.state, 'choose_method');
      assert.deepEqual(fresh.data.ui.messages, [MSG.verificationRetrySuccess]);
    });

    test('verification: 5 wrong codes, then the right one is refused (submitted too often) and the flow replaced', async () => {
      const addr = email('verify-brute');
      const identity = await createIdentity(server, addr);
      const { flow, sent } = await nativeSend(server, 'verification', addr);
      assert.equal(sent.status, 200, sent.text);
      const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.verify)));
      for (let i = 0; i < 5; i++) {
        const r = await submitCode(server, 'verification', flow.id, wrongCode(code));
        assert.equal(r.status, 200, `attempt ${i + 1}: ${r.text}`);
        assert.equal(r.data.id, flow.id);
        assert.deepEqual(r.data.ui.messages, [MSG.verificationCodeInvalid]);
      }
      const sixth = await submitCode(server, 'verification', flow.id, code);
      assert.equal(sixth.status, 410, sixth.text);
      assert.equal(sixth.data.error.id, 'self_service_flow_replaced');
      assert.equal(sixth.data.error.reason, 'An error occured, please retry the flow.');
      assert.match(sixth.data.use_flow_id, uuid);
      assert.notEqual(sixth.data.use_flow_id, flow.id);
      const fresh = await call(`${server.publicUrl}/self-service/verification/flows?id=${sixth.data.use_flow_id}`);
      assert.equal(fresh.status, 200, fresh.text);
      assert.deepEqual(fresh.data.ui.messages, [generic(TOO_OFTEN)]);
      assert.ok(node(fresh.data, 'email'), fresh.text);
      const va = (await getIdentity(server, identity.id)).verifiable_addresses[0];
      assert.equal(va.verified, false);
    });

    test('verification for an unknown address: the same answer as for a known one, and no mail', async () => {
      const known = email('verify-known');
      await createIdentity(server, known);
      const unknown = email('verify-nobody');
      const a = await nativeSend(server, 'verification', unknown);
      const b = await nativeSend(server, 'verification', known);
      assert.equal(a.sent.status, 200, a.sent.text);
      assert.deepEqual(shape(a.sent), shape(b.sent));
      assert.deepEqual(a.sent.data.ui.messages, [MSG.verificationCodeSent]);
      // Mails go out in queue order: once the later one arrived, the earlier would have.
      await sink.waitFor(mailTo(known, SUBJECT.verify));
      await sleep(1500);
      assert.deepEqual(mailsTo(sink, unknown), []);
      assert.deepEqual((await courierMessages(server, { recipient: unknown })).data, []);
    });
  });

  describe('recovery', () => {
    test('native recovery by code through @ory/client: session token and settings flow in continue_with', async () => {
      const addr = email('recover-native');
      const identity = await createIdentity(server, addr);
      const { data: flow } = await front.createNativeRecoveryFlow();
      assert.equal(flow.type, 'api');
      assert.equal(flow.state, 'choose_method');
      assert.deepEqual(names(flow), ['csrf_token', 'email', 'method']);
      assert.equal(node(flow, 'csrf_token').attributes.value, '');
      assert.deepEqual(node(flow, 'email').attributes,
        { name: 'email', type: 'email', required: true, disabled: false, node_type: 'input' });
      assert.equal(node(flow, 'email').group, 'code');
      assert.deepEqual(node(flow, 'email').meta.label, { id: 1070007, text: 'Email', type: 'info' });
      assert.equal(node(flow, 'method').attributes.value, 'code');
      assert.deepEqual(node(flow, 'method').meta.label, { id: 1070009, text: 'Continue', type: 'info' });

      const { data: sent } = await front.updateRecoveryFlow({
        flow: flow.id, updateRecoveryFlowBody: { method: 'code', email: addr },
      });
      assert.equal(sent.id, flow.id);
      assert.equal(sent.state, 'sent_email');
      assert.deepEqual(sent.ui.messages, [MSG.recoveryCodeSent]);
      assert.deepEqual(names(sent), ['csrf_token', 'code', 'method', 'method', 'email']);
      assert.deepEqual(node(sent, 'code').attributes, {
        name: 'code', type: 'text', required: true, pattern: '[0-9]+', maxlength: 6, disabled: false, node_type: 'input',
      });
      assert.deepEqual(node(sent, 'code').meta.label, { id: 1070010, text: 'Recovery code', type: 'info' });
      const [hidden, submit] = sent.ui.nodes.filter((n) => n.attributes.name === 'method');
      assert.deepEqual([hidden.attributes.type, hidden.attributes.value], ['hidden', 'code']);
      assert.deepEqual([submit.attributes.type, submit.attributes.value], ['submit', 'code']);
      const resend = sent.ui.nodes.find((n) => n.attributes.name === 'email');
      assert.deepEqual([resend.attributes.type, resend.attributes.value], ['submit', addr]);
      assert.deepEqual(resend.meta.label, { id: 1070008, text: 'Resend code', type: 'info' });

      const mail = await sink.waitFor(mailTo(addr, SUBJECT.recover));
      assert.match(mail.text, /please recover access to your account by entering the following code:/);
      const code = codeIn(mail);

      const { data: done, status } = await front.updateRecoveryFlow({
        flow: flow.id, updateRecoveryFlowBody: { method: 'code', code },
      });
      assert.equal(status, 200);
      assert.equal(done.id, flow.id);
      assert.equal(done.state, 'passed_challenge');
      assert.equal(done.continue_with.length, 2, JSON.stringify(done.continue_with));
      const [token, settings] = done.continue_with;
      assert.equal(token.action, 'set_ory_session_token');
      assert.match(token.ory_session_token, /^ory_st_/);
      assert.equal(settings.action, 'show_settings_ui');
      assert.match(settings.flow.id, uuid);
      assert.equal(settings.flow.url, `${UI}/settings?flow=${settings.flow.id}`);

      const who = await front.toSession({ xSessionToken: token.ory_session_token });
      assert.equal(who.data.identity.id, identity.id);
      assert.equal(who.data.authenticator_assurance_level, 'aal1');
      assert.deepEqual(who.data.authentication_methods.map((m) => m.method), ['code_recovery']);
      // A self-service recovery code proves the address: it is now verified.
      const va = (await getIdentity(server, identity.id)).verifiable_addresses[0];
      assert.equal(va.verified, true);
      assert.equal(va.status, 'completed');

      const msg = await courierMessage(server, addr);
      assert.equal(msg.template_type, 'recovery_code_valid');
    });

    test('the settings flow from recovery carries message 1060001', async () => {
      const addr = email('recover-settings');
      await createIdentity(server, addr);
      const { flow, sent } = await nativeSend(server, 'recovery', addr);
      assert.equal(sent.status, 200, sent.text);
      const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.recover)));
      const done = await submitCode(server, 'recovery', flow.id, code);
      assert.equal(done.status, 200, done.text);
      const token = done.data.continue_with.find((c) => c.action === 'set_ory_session_token').ory_session_token;
      const sf = done.data.continue_with.find((c) => c.action === 'show_settings_ui').flow.id;
      const settings = await call(`${server.publicUrl}/self-service/settings/flows?id=${sf}`, { headers: { 'X-Session-Token': token } });
      assert.equal(settings.status, 200, settings.text);
      assert.equal(settings.data.id, sf);
      assert.equal(settings.data.type, 'api');
      assert.equal(settings.data.ui.messages[0].id, 1060001, settings.text);
      assert.equal(settings.data.ui.messages[0].type, 'success');
      assert.match(settings.data.ui.messages[0].text, RECOVERED);
    });

    test('browser recovery by code: 303 to the settings UI with a session cookie', async () => {
      const addr = email('recover-browser');
      const identity = await createIdentity(server, addr);
      const jar = new Jar();
      const flow = await browserInit(server, 'recovery', jar);
      assert.ok(csrfOf(flow).length > 0);
      const send = await call(`${server.publicUrl}/self-service/recovery?flow=${flow.id}`, {
        method: 'POST', jar, accept: 'text/html', form: { method: 'code', email: addr, csrf_token: csrfOf(flow) },
      });
      assert.equal(redirectsTo(send, `${UI}/recovery`).searchParams.get('flow'), flow.id);
      const sent = await call(`${server.publicUrl}/self-service/recovery/flows?id=${flow.id}`, { jar });
      assert.equal(sent.data.state, 'sent_email');
      assert.deepEqual(sent.data.ui.messages, [MSG.recoveryCodeSent]);
      const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.recover)));
      const done = await call(`${server.publicUrl}/self-service/recovery?flow=${flow.id}`, {
        method: 'POST', jar, accept: 'text/html', form: { method: 'code', code, csrf_token: csrfOf(sent.data) },
      });
      const loc = redirectsTo(done, `${UI}/settings`);
      assert.match(loc.searchParams.get('flow'), uuid);
      assert.ok(sessionCookie(done), done.cookies.join('\n'));
      const who = await call(`${server.publicUrl}/sessions/whoami`, { jar });
      assert.equal(who.status, 200, who.text);
      assert.equal(who.data.identity.id, identity.id);
      const settings = await call(`${server.publicUrl}/self-service/settings/flows?id=${loc.searchParams.get('flow')}`, { jar });
      assert.equal(settings.status, 200, settings.text);
      assert.equal(settings.data.ui.messages[0].id, 1060001, settings.text);
    });

    test('SPA recovery by code: 200 with show_settings_ui only, and a session cookie', async () => {
      const addr = email('recover-spa');
      await createIdentity(server, addr);
      const jar = new Jar();
      const init = await call(`${server.publicUrl}/self-service/recovery/browser`, { jar });
      assert.equal(init.status, 200, init.text);
      assert.equal(init.data.type, 'browser');
      const sent = await call(`${server.publicUrl}/self-service/recovery?flow=${init.data.id}`, {
        method: 'POST', jar, json: { method: 'code', email: addr, csrf_token: csrfOf(init.data) },
      });
      assert.equal(sent.status, 200, sent.text);
      assert.equal(sent.data.state, 'sent_email');
      const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.recover)));
      const done = await call(`${server.publicUrl}/self-service/recovery?flow=${init.data.id}`, {
        method: 'POST', jar, json: { method: 'code', code, csrf_token: csrfOf(sent.data) },
      });
      assert.equal(done.status, 200, done.text);
      assert.equal(done.data.state, 'passed_challenge');
      assert.equal(done.data.continue_with.length, 1, done.text);
      assert.equal(done.data.continue_with[0].action, 'show_settings_ui');
      assert.equal(done.data.continue_with[0].flow.url, `${UI}/settings?flow=${done.data.continue_with[0].flow.id}`);
      assert.ok(sessionCookie(done), done.cookies.join('\n'));
      assert.equal((await call(`${server.publicUrl}/sessions/whoami`, { jar })).status, 200);
    });

    test('recovery: wrong code 4060006 (200, same flow); a code of another flow is wrong; a used code is refused', async () => {
      const addr = email('recover-wrong');
      const other = email('recover-other');
      await createIdentity(server, addr);
      await createIdentity(server, other);
      const { flow, sent } = await nativeSend(server, 'recovery', addr);
      assert.equal(sent.status, 200, sent.text);
      const { sent: otherSent } = await nativeSend(server, 'recovery', other);
      assert.equal(otherSent.status, 200, otherSent.text);
      const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.recover)));
      const otherCode = codeIn(await sink.waitFor(mailTo(other, SUBJECT.recover)));

      const wrong = await submitCode(server, 'recovery', flow.id, wrongCode(code));
      assert.equal(wrong.status, 200, wrong.text);
      assert.equal(wrong.data.id, flow.id);
      assert.equal(wrong.data.state, 'sent_email');
      assert.deepEqual(wrong.data.ui.messages, [MSG.recoveryCodeInvalid]);
      if (otherCode !== code) {
        const foreign = await submitCode(server, 'recovery', flow.id, otherCode);
        assert.equal(foreign.status, 200, foreign.text);
        assert.deepEqual(foreign.data.ui.messages, [MSG.recoveryCodeInvalid]);
      }

      const ok = await submitCode(server, 'recovery', flow.id, code);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.data.state, 'passed_challenge');

      // Kratos: the used code is found, UseRecoveryCode fails with ErrCodeAlreadyUsed,
      // the flow is retried: 400 + continue_with show_recovery_ui (use_continue_with_transitions).
      const replay = await submitCode(server, 'recovery', flow.id, code);
      assert.equal(replay.status, 400, replay.text);
      assert.equal(replay.data.error.code, 400);
      assert.equal(replay.data.error.status, 'Bad Request');
      assert.equal(replay.data.error.reason, ALREADY_USED);
      const [cw] = replay.data.error.details.continue_with;
      assert.equal(cw.action, 'show_recovery_ui');
      assert.match(cw.flow.id, uuid);
      assert.notEqual(cw.flow.id, flow.id);
      const fresh = await call(`${server.publicUrl}/self-service/recovery/flows?id=${cw.flow.id}`);
      assert.equal(fresh.status, 200, fresh.text);
      assert.deepEqual(fresh.data.ui.messages, [generic(ALREADY_USED)]);
    });

    test('recovery: 5 wrong codes, then the right one is refused (submitted too often), no session', async () => {
      const addr = email('recover-brute');
      await createIdentity(server, addr);
      const { flow, sent } = await nativeSend(server, 'recovery', addr);
      assert.equal(sent.status, 200, sent.text);
      const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.recover)));
      for (let i = 0; i < 5; i++) {
        const r = await submitCode(server, 'recovery', flow.id, wrongCode(code));
        assert.equal(r.status, 200, `attempt ${i + 1}: ${r.text}`);
        assert.equal(r.data.id, flow.id);
        assert.deepEqual(r.data.ui.messages, [MSG.recoveryCodeInvalid]);
      }
      const sixth = await submitCode(server, 'recovery', flow.id, code);
      assert.equal(sixth.status, 400, sixth.text);
      assert.equal(sixth.data.error.code, 400);
      assert.equal(sixth.data.error.status, 'Bad Request');
      assert.equal(sixth.data.error.reason, TOO_OFTEN);
      assert.equal(sixth.data.session_token, undefined);
      const continueWith = sixth.data.error.details.continue_with;
      assert.equal(continueWith.length, 1, sixth.text);
      assert.equal(continueWith[0].action, 'show_recovery_ui');
      assert.notEqual(continueWith[0].flow.id, flow.id);
      const fresh = await call(`${server.publicUrl}/self-service/recovery/flows?id=${continueWith[0].flow.id}`);
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal(fresh.data.type, 'api');
      assert.equal(fresh.data.state, 'choose_method');
      assert.deepEqual(fresh.data.ui.messages, [generic(TOO_OFTEN)]);
      assert.ok(node(fresh.data, 'email'), fresh.text);
      // The old flow stays burnt: even the right code is refused again.
      const seventh = await submitCode(server, 'recovery', flow.id, code);
      assert.equal(seventh.status, 400, seventh.text);
      assert.equal(seventh.data.error.reason, TOO_OFTEN);
    });

    test('recovery for an unknown address: the same answer as for a known one, and no mail', async () => {
      const known = email('recover-known');
      await createIdentity(server, known);
      const unknown = email('recover-nobody');
      const a = await nativeSend(server, 'recovery', unknown);
      const b = await nativeSend(server, 'recovery', known);
      assert.equal(a.sent.status, 200, a.sent.text);
      assert.deepEqual(shape(a.sent), shape(b.sent));
      assert.equal(a.sent.data.state, 'sent_email');
      assert.deepEqual(a.sent.data.ui.messages, [MSG.recoveryCodeSent]);
      assert.equal(a.sent.data.ui.nodes.find((n) => n.attributes.name === 'email').attributes.value, unknown);
      await sink.waitFor(mailTo(known, SUBJECT.recover));
      await sleep(1500);
      assert.deepEqual(mailsTo(sink, unknown), []);
      assert.deepEqual((await courierMessages(server, { recipient: unknown })).data, []);
      // Any code on the unknown address's flow is just wrong.
      const guess = await submitCode(server, 'recovery', a.flow.id, '123456');
      assert.equal(guess.status, 200, guess.text);
      assert.deepEqual(guess.data.ui.messages, [MSG.recoveryCodeInvalid]);
    });

    test('50 recovery requests for one address within a minute: the same answers, far fewer mails', async () => {
      const addr = email('recover-flood');
      await createIdentity(server, addr);
      const baseline = await nativeSend(server, 'recovery', email('recover-flood-nobody'));
      assert.equal(baseline.sent.status, 200, baseline.sent.text);
      const started = Date.now();
      for (let i = 0; i < 50; i++) {
        const { sent } = await nativeSend(server, 'recovery', addr);
        assert.deepEqual(shape(sent), shape(baseline.sent), `request ${i + 1}: ${sent.text}`);
      }
      assert.ok(Date.now() - started < 60000, 'the 50 requests took less than a minute');
      await sink.waitFor(mailTo(addr, SUBJECT.recover));
      await sleep(3000);
      const received = mailsTo(sink, addr).length;
      assert.ok(received >= 1 && received <= 5, `${received} mails for 50 requests`);
    });
  });

  describe('admin-issued recovery', () => {
    test('POST /admin/recovery/code: 201 {recovery_link, recovery_code, expires_at}, usable in a browser', async () => {
      const addr = email('admin-code');
      const identity = await createIdentity(server, addr);
      const t0 = Date.now();
      const { data, status } = await admin.createRecoveryCodeForIdentity({
        createRecoveryCodeForIdentityBody: { identity_id: identity.id },
      });
      assert.equal(status, 201);
      assert.deepEqual(Object.keys(data).sort(), ['expires_at', 'recovery_code', 'recovery_link']);
      assert.match(data.recovery_code, /^\d{6}$/);
      // The link opens the recovery UI (not the API) with the flow id.
      const link = new URL(data.recovery_link);
      assert.equal(`${link.origin}${link.pathname}`, `${UI}/recovery`);
      const flowId = link.searchParams.get('flow');
      assert.match(flowId, uuid);
      const expires = Date.parse(data.expires_at);
      assert.ok(expires > t0 + 59 * 60 * 1000 && expires < Date.now() + 61 * 60 * 1000, data.expires_at);

      // The flow skips CSRF (DangerousSkipCSRFCheck): fetchable without cookies,
      // already in sent_email with only the code field.
      const flow = await call(`${server.publicUrl}/self-service/recovery/flows?id=${flowId}`);
      assert.equal(flow.status, 200, flow.text);
      assert.equal(flow.data.type, 'browser');
      assert.equal(flow.data.state, 'sent_email');
      assert.deepEqual(names(flow.data), ['code', 'method']);

      const jar = new Jar();
      const done = await call(`${server.publicUrl}/self-service/recovery?flow=${flowId}`, {
        method: 'POST', jar, accept: 'text/html', form: { method: 'code', code: data.recovery_code },
      });
      redirectsTo(done, `${UI}/settings`);
      assert.ok(sessionCookie(done), done.cookies.join('\n'));
      const who = await call(`${server.publicUrl}/sessions/whoami`, { jar });
      assert.equal(who.status, 200, who.text);
      assert.equal(who.data.identity.id, identity.id);
      // No mail is sent, and an admin code does not verify the address.
      assert.deepEqual(mailsTo(sink, addr), []);
      assert.equal((await getIdentity(server, identity.id)).verifiable_addresses[0].verified, false);
    });

    test('POST /admin/recovery/code with flow_type api: the native answer with a session token', async () => {
      const identity = await createIdentity(server, email('admin-code-api'));
      const r = await call(`${server.adminUrl}/admin/recovery/code`, {
        method: 'POST', json: { identity_id: identity.id, flow_type: 'api', expires_in: '5m' },
      });
      assert.equal(r.status, 201, r.text);
      const expires = Date.parse(r.data.expires_at);
      assert.ok(expires > Date.now() + 4 * 60 * 1000 && expires < Date.now() + 6 * 60 * 1000, r.data.expires_at);
      const flowId = new URL(r.data.recovery_link).searchParams.get('flow');
      const done = await submitCode(server, 'recovery', flowId, r.data.recovery_code);
      assert.equal(done.status, 200, done.text);
      const token = done.data.continue_with.find((c) => c.action === 'set_ory_session_token');
      assert.ok(token, done.text);
      const who = await call(`${server.publicUrl}/sessions/whoami`, { headers: { 'X-Session-Token': token.ory_session_token } });
      assert.equal(who.status, 200, who.text);
      assert.equal(who.data.identity.id, identity.id);
    });

    test('POST /admin/recovery/code errors: bad expires_in is 400, an unknown identity 404', async () => {
      const identity = await createIdentity(server, email('admin-code-bad'));
      const bad = await call(`${server.adminUrl}/admin/recovery/code`, {
        method: 'POST', json: { identity_id: identity.id, expires_in: 'soon' },
      });
      assert.equal(bad.status, 400, bad.text);
      assert.equal(bad.data.error.reason, 'Unable to parse "expires_in" whose format should match "[0-9]+(ns|us|ms|s|m|h)" but did not: soon');
      const missing = await call(`${server.adminUrl}/admin/recovery/code`, {
        method: 'POST', json: { identity_id: '00000000-0000-4000-8000-000000000000' },
      });
      assert.equal(missing.status, 404, missing.text);
    });

    test('POST /admin/recovery/link: 200 {recovery_link, expires_at}; the link logs in once', async () => {
      const addr = email('admin-link');
      const identity = await createIdentity(server, addr);
      const { data, status } = await admin.createRecoveryLinkForIdentity({
        createRecoveryLinkForIdentityBody: { identity_id: identity.id },
      });
      assert.equal(status, 200);
      assert.deepEqual(Object.keys(data).sort(), ['expires_at', 'recovery_link']);
      const link = new URL(data.recovery_link);
      assert.equal(`${link.origin}${link.pathname}`, `${BASE}/self-service/recovery`);
      assert.match(link.searchParams.get('flow'), uuid);
      assert.ok(link.searchParams.get('token'));
      assert.ok(Date.parse(data.expires_at) > Date.now() + 59 * 60 * 1000, data.expires_at);

      const jar = new Jar();
      const done = await call(local(server, data.recovery_link), { jar, accept: 'text/html' });
      redirectsTo(done, `${UI}/settings`);
      assert.ok(sessionCookie(done), done.cookies.join('\n'));
      const who = await call(`${server.publicUrl}/sessions/whoami`, { jar });
      assert.equal(who.status, 200, who.text);
      assert.equal(who.data.identity.id, identity.id);
      assert.deepEqual(who.data.authentication_methods.map((m) => m.method), ['link_recovery']);

      const replay = await call(local(server, data.recovery_link), { jar: new Jar(), accept: 'text/html' });
      const retry = redirectsTo(replay, `${UI}/recovery`);
      assert.notEqual(retry.searchParams.get('flow'), link.searchParams.get('flow'));
      assert.ok(!sessionCookie(replay), replay.cookies.join('\n'));

      const missing = await call(`${server.adminUrl}/admin/recovery/link`, {
        method: 'POST', json: { identity_id: '00000000-0000-4000-8000-000000000000' },
      });
      assert.equal(missing.status, 400, missing.text);
      assert.equal(missing.data.error.reason, 'The requested identity id does not exist.');
    });
  });

  describe('courier admin API (serve --dev)', () => {
    test('GET /admin/courier/messages lists sent mails; filters, X-Total-Count, bodies in dev mode', async () => {
      const addr = email('courier-list');
      await createIdentity(server, addr);
      const { sent } = await nativeSend(server, 'recovery', addr);
      assert.equal(sent.status, 200, sent.text);
      const mail = await sink.waitFor(mailTo(addr, SUBJECT.recover));
      const msg = await courierMessage(server, addr);

      const listed = await courierMessages(server, { recipient: addr });
      assert.equal(listed.headers.get('x-total-count'), '1');
      assert.equal(listed.data.length, 1);
      assert.match(msg.id, uuid);
      assert.equal(msg.status, 'sent');
      assert.equal(msg.type, 'email');
      assert.equal(msg.channel, 'email');
      assert.equal(msg.recipient, addr);
      assert.equal(msg.subject, SUBJECT.recover);
      assert.equal(msg.template_type, 'recovery_code_valid');
      assert.equal(msg.send_count, 1);
      assert.ok(Date.parse(msg.created_at) && Date.parse(msg.updated_at), JSON.stringify(msg));
      assert.ok(!('template_data' in msg));
      assert.ok(msg.body.includes(codeIn(mail)), 'with --dev the plaintext body is shown');
      assert.match(msg.body, /please recover access to your account by entering the following code/);

      const { data: viaSdk } = await courier.listCourierMessages({ recipient: addr, status: 'sent' });
      assert.deepEqual(viaSdk.map((m) => m.id), [msg.id]);
      const queued = await courierMessages(server, { recipient: addr, status: 'queued' });
      assert.deepEqual(queued.data, []);
      assert.equal(queued.headers.get('x-total-count'), '0');
      const nobody = await courierMessages(server, { recipient: email('courier-nobody') });
      assert.deepEqual(nobody.data, []);
      const bad = await call(`${server.adminUrl}/admin/courier/messages?status=lost`);
      assert.equal(bad.status, 400, bad.text);

      const { data: one } = await courier.getCourierMessage({ id: msg.id });
      assert.equal(one.id, msg.id);
      assert.equal(one.body, msg.body);
      assert.equal(one.dispatches.length, 1, JSON.stringify(one));
      assert.equal(one.dispatches[0].message_id, msg.id);
      assert.equal(one.dispatches[0].status, 'success');
      assert.match(one.dispatches[0].id, uuid);
      const missing = await call(`${server.adminUrl}/admin/courier/messages/00000000-0000-4000-8000-000000000000`);
      assert.equal(missing.status, 404, missing.text);
      const notUuid = await call(`${server.adminUrl}/admin/courier/messages/not-a-uuid`);
      assert.equal(notUuid.status, 400, notUuid.text);
    });

    test('courier messages are paged newest first, next page in the Link header', async () => {
      const addr = email('courier-pages');
      await createIdentity(server, addr);
      for (let i = 0; i < 2; i++) {
        const { sent } = await nativeSend(server, 'recovery', addr);
        assert.equal(sent.status, 200, sent.text);
      }
      await sink.waitForCount(2, 10000, mailTo(addr, SUBJECT.recover));
      const first = await courierMessages(server, { recipient: addr, page_size: '1' });
      assert.equal(first.data.length, 1);
      assert.equal(first.headers.get('x-total-count'), '2');
      const m = /<[^>]*page_token=([^&>]+)[^>]*>;\s*rel="next"/.exec(first.headers.get('link') ?? '');
      assert.ok(m, `Link: ${first.headers.get('link')}`);
      const second = await courierMessages(server, { recipient: addr, page_size: '1', page_token: decodeURIComponent(m[1]) });
      assert.equal(second.data.length, 1);
      assert.notEqual(second.data[0].id, first.data[0].id);
      assert.ok(Date.parse(first.data[0].created_at) >= Date.parse(second.data[0].created_at), 'created_at DESC');
    });
  });
});

describe('link method: verification and recovery by link', () => {
  let sink;
  let server;
  let front;
  before(async () => {
    ({ sink, server } = await startWithSink({}, { recoveryUse: 'link', verificationUse: 'link' }));
    ({ front } = clients(server));
  });
  after(async () => { await server?.stop(); await sink?.stop(); });

  test('registration mails verification_valid; GET on its link verifies and shows passed_challenge', async () => {
    const addr = email('link-verify');
    const { data: regFlow } = await front.createNativeRegistrationFlow();
    const { data: reg } = await front.updateRegistrationFlow({
      flow: regFlow.id,
      updateRegistrationFlowBody: { method: 'password', traits: { email: addr }, password: PASSWORD },
    });
    const show = reg.continue_with.find((c) => c.action === 'show_verification_ui');
    assert.ok(show, JSON.stringify(reg.continue_with));

    const mail = await sink.waitFor(mailTo(addr, SUBJECT.verify));
    assert.match(mail.text, /please verify your account by clicking the following link:/);
    const href = linksIn(mail)[0];
    const link = new URL(href);
    assert.equal(`${link.origin}${link.pathname}`, `${BASE}/self-service/verification`);
    assert.equal(link.searchParams.get('flow'), show.flow.id);
    assert.ok(link.searchParams.get('token'), href);

    const jar = new Jar();
    const click = await call(local(server, href), { jar, accept: 'text/html' });
    assert.equal(redirectsTo(click, `${UI}/verification`).searchParams.get('flow'), show.flow.id);
    const done = await call(`${server.publicUrl}/self-service/verification/flows?id=${show.flow.id}`, { jar });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.data.state, 'passed_challenge');
    assert.deepEqual(done.data.ui.messages, [MSG.verified]);
    assert.equal(done.data.ui.method, 'GET');
    assert.equal(done.data.ui.action, `${UI}/`);
    assert.deepEqual(done.data.ui.nodes.map((n) => [n.type, n.group, n.attributes.id, n.attributes.href]),
      [['a', 'link', 'continue', `${UI}/`]]);
    const identity = await getIdentity(server, reg.identity.id);
    assert.equal(identity.verifiable_addresses[0].verified, true);
    assert.equal(identity.verifiable_addresses[0].status, 'completed');

    // The token is single-use: a second click lands on a new flow with 4070001.
    const jar2 = new Jar();
    const again = await call(local(server, href), { jar: jar2, accept: 'text/html' });
    const retry = redirectsTo(again, `${UI}/verification`);
    assert.notEqual(retry.searchParams.get('flow'), show.flow.id);
    const fresh = await call(`${server.publicUrl}/self-service/verification/flows?id=${retry.searchParams.get('flow')}`, { jar: jar2 });
    assert.equal(fresh.status, 200, fresh.text);
    assert.deepEqual(fresh.data.ui.messages, [MSG.verificationTokenInvalid]);

    const msg = await courierMessage(server, addr);
    assert.equal(msg.template_type, 'verification_valid');
  });

  test('native verification flow with method link answers sent_email 1080001', async () => {
    const addr = email('link-verify-flow');
    const identity = await createIdentity(server, addr);
    const { flow, sent } = await nativeSend(server, 'verification', addr, 'link');
    assert.equal(sent.status, 200, sent.text);
    assert.equal(sent.data.state, 'sent_email');
    assert.deepEqual(sent.data.ui.messages, [MSG.verificationLinkSent]);
    const mail = await sink.waitFor(mailTo(addr, SUBJECT.verify));
    const href = linksIn(mail)[0];
    assert.equal(new URL(href).searchParams.get('flow'), flow.id);
    redirectsTo(await call(local(server, href), { accept: 'text/html' }), `${UI}/verification`);
    assert.equal((await getIdentity(server, identity.id)).verifiable_addresses[0].verified, true);
  });

  test('browser recovery by link: 1060002, then the mailed link gives a session and the settings UI', async () => {
    const addr = email('link-recover');
    const identity = await createIdentity(server, addr);
    const jar = new Jar();
    const flow = await browserInit(server, 'recovery', jar);
    assert.deepEqual(names(flow), ['csrf_token', 'email', 'method']);
    assert.equal(node(flow, 'email').group, 'link');
    assert.equal(node(flow, 'method').attributes.value, 'link');
    const send = await call(`${server.publicUrl}/self-service/recovery?flow=${flow.id}`, {
      method: 'POST', jar, accept: 'text/html', form: { method: 'link', email: addr, csrf_token: csrfOf(flow) },
    });
    assert.equal(redirectsTo(send, `${UI}/recovery`).searchParams.get('flow'), flow.id);
    const sent = await call(`${server.publicUrl}/self-service/recovery/flows?id=${flow.id}`, { jar });
    assert.equal(sent.data.state, 'sent_email');
    assert.deepEqual(sent.data.ui.messages, [MSG.recoveryLinkSent]);
    assert.equal(node(sent.data, 'email').attributes.value, addr);

    const mail = await sink.waitFor(mailTo(addr, SUBJECT.recover));
    // Opened anywhere (no cookies): 303 to the settings UI with a session.
    const { href, jar: other, settings: loc } = await followRecoveryLink(server, mail, flow.id, identity.id);
    assert.equal((await getIdentity(server, identity.id)).verifiable_addresses[0].verified, true);
    const settings = await call(`${server.publicUrl}/self-service/settings/flows?id=${loc.searchParams.get('flow')}`, { jar: other });
    assert.equal(settings.status, 200, settings.text);
    assert.equal(settings.data.ui.messages[0].id, 1060001, settings.text);
    assert.match(settings.data.ui.messages[0].text, RECOVERED);

    // Single use: the second click is a new recovery flow with 4060004 and no session.
    const jar3 = new Jar();
    const again = await call(local(server, href), { jar: jar3, accept: 'text/html' });
    const retry = redirectsTo(again, `${UI}/recovery`);
    assert.notEqual(retry.searchParams.get('flow'), flow.id);
    assert.ok(!sessionCookie(again), again.cookies.join('\n'));
    const fresh = await call(`${server.publicUrl}/self-service/recovery/flows?id=${retry.searchParams.get('flow')}`, { jar: jar3 });
    assert.equal(fresh.status, 200, fresh.text);
    assert.deepEqual(fresh.data.ui.messages, [MSG.recoveryTokenInvalid]);

    const msg = await courierMessage(server, addr);
    assert.equal(msg.template_type, 'recovery_valid');
  });
});

describe('notify_unknown_recipients and expired codes (code lifespan 2s)', () => {
  let sink;
  let server;
  before(async () => {
    ({ sink, server } = await startWithSink({}, { notifyUnknown: true, codeLifespan: '2s' }));
  });
  after(async () => { await server?.stop(); await sink?.stop(); });

  test('recovery for an unknown address mails recovery_code_invalid; the answer is unchanged', async () => {
    const known = email('notify-known');
    await createIdentity(server, known);
    const unknown = email('notify-nobody');
    const a = await nativeSend(server, 'recovery', unknown);
    const b = await nativeSend(server, 'recovery', known);
    assert.deepEqual(shape(a.sent), shape(b.sent));
    assert.deepEqual(a.sent.data.ui.messages, [MSG.recoveryCodeSent]);
    const mail = await sink.waitFor(mailTo(unknown, SUBJECT.recoverUnknown));
    assert.match(mail.text, /this email address is not on our database of registered users/);
    assert.throws(() => codeIn(mail));
    const msg = await courierMessage(server, unknown);
    assert.equal(msg.template_type, 'recovery_code_invalid');
  });

  test('verification for an unknown address mails verification_code_invalid', async () => {
    const unknown = email('notify-verify-nobody');
    const { sent } = await nativeSend(server, 'verification', unknown);
    assert.equal(sent.status, 200, sent.text);
    assert.deepEqual(sent.data.ui.messages, [MSG.verificationCodeSent]);
    const mail = await sink.waitFor(mailTo(unknown, SUBJECT.verifyUnknown));
    assert.match(mail.text, /we were unable to find an account for this address/);
    const msg = await courierMessage(server, unknown);
    assert.equal(msg.template_type, 'verification_code_invalid');
  });

  test('an expired recovery code: 410 self_service_flow_expired with a new flow carrying 4060005', async () => {
    const addr = email('expired-recover');
    await createIdentity(server, addr);
    const { flow, sent } = await nativeSend(server, 'recovery', addr);
    assert.equal(sent.status, 200, sent.text);
    const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.recover)));
    await sleep(2500);
    const late = await submitCode(server, 'recovery', flow.id, code);
    assert.equal(late.status, 410, late.text);
    assert.equal(late.data.error.id, 'self_service_flow_expired');
    assert.equal(late.data.error.code, 410);
    const [cw] = late.data.error.details.continue_with;
    assert.equal(cw.action, 'show_recovery_ui');
    assert.notEqual(cw.flow.id, flow.id);
    const fresh = await call(`${server.publicUrl}/self-service/recovery/flows?id=${cw.flow.id}`);
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal(fresh.data.ui.messages[0].id, 4060005, fresh.text);
    assert.equal(fresh.data.ui.messages[0].type, 'error');
    assert.match(fresh.data.ui.messages[0].text, /^The recovery flow expired \d+\.\d\d minutes ago, please try again\.$/);
  });

  test('an expired verification code: 410 self_service_flow_expired, use_flow_id with 4070005', async () => {
    const addr = email('expired-verify');
    const identity = await createIdentity(server, addr);
    const { flow, sent } = await nativeSend(server, 'verification', addr);
    assert.equal(sent.status, 200, sent.text);
    const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.verify)));
    await sleep(2500);
    const late = await submitCode(server, 'verification', flow.id, code);
    assert.equal(late.status, 410, late.text);
    assert.equal(late.data.error.id, 'self_service_flow_expired');
    assert.match(late.data.use_flow_id, uuid);
    assert.notEqual(late.data.use_flow_id, flow.id);
    assert.ok(Date.parse(late.data.expired_at), late.text);
    const fresh = await call(`${server.publicUrl}/self-service/verification/flows?id=${late.data.use_flow_id}`);
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal(fresh.data.ui.messages[0].id, 4070005, fresh.text);
    assert.match(fresh.data.ui.messages[0].text, /^The verification flow expired \d+\.\d\d minutes ago, please try again\.$/);
    assert.equal((await getIdentity(server, identity.id)).verifiable_addresses[0].verified, false);
  });
});

describe('courier delivery: SMTP AUTH, retries and abandoned messages', () => {
  let sink;
  let server;
  before(async () => {
    ({ sink, server } = await startWithSink(
      { auth: { user: 'courier', pass: 's3cret' }, failFirst: 1, rejectRcpt: (a) => a.startsWith('bounce-') },
      { messageRetries: 1 },
    ));
  });
  after(async () => { await server?.stop(); await sink?.stop(); });

  test('a 451 is retried: the mail arrives, authenticated, with two dispatches', async () => {
    const addr = email('retry');
    await createIdentity(server, addr);
    const { sent } = await nativeSend(server, 'recovery', addr);
    assert.equal(sent.status, 200, sent.text);
    const mail = await sink.waitFor(mailTo(addr, SUBJECT.recover), 15000);
    assert.equal(sink.stats.rejectedData, 1);
    assert.equal(mail.authUser, 'courier');
    assert.equal(mail.from, 'no-reply@mneme.test');
    assert.equal(mail.fromName, 'Mneme');
    const msg = await courierMessage(server, addr);
    assert.equal(msg.send_count, 2);
    const { data: one } = await clients(server).courier.getCourierMessage({ id: msg.id });
    assert.deepEqual(one.dispatches.map((d) => d.status), ['success', 'failed'], JSON.stringify(one.dispatches));
  });

  // Kratos means a 5xx not to be retried (courier/smtp_channel.go), though its
  // dispatcher re-queues the message; mneme abandons it at once. Transient
  // failures exhausting courier.message_retries: SendWithRetriesTest and
  // CourierMessageTest (unit).
  test('a recipient refused with 550 is abandoned at once, not retried', async () => {
    const addr = email('bounce');
    await createIdentity(server, addr);
    const { sent } = await nativeSend(server, 'recovery', addr);
    assert.equal(sent.status, 200, sent.text);
    const msg = await courierMessage(server, addr, 'abandoned');
    assert.equal(msg.send_count, 1);
    const { data: one } = await clients(server).courier.getCourierMessage({ id: msg.id });
    assert.deepEqual(one.dispatches.map((d) => d.status), ['failed'], JSON.stringify(one.dispatches));
    assert.deepEqual(mailsTo(sink, addr), []);
  });
});

describe('courier admin API without --dev', () => {
  let sink;
  let server;
  before(async () => {
    ({ sink, server } = await startWithSink({}, {}, { dev: false }));
  });
  after(async () => { await server?.stop(); await sink?.stop(); });

  test('message bodies are <redacted-unless-dev-mode> in the list and in the message', async () => {
    const addr = email('redacted');
    await createIdentity(server, addr);
    const { sent } = await nativeSend(server, 'recovery', addr);
    assert.equal(sent.status, 200, sent.text);
    const mail = await sink.waitFor(mailTo(addr, SUBJECT.recover));
    assert.match(codeIn(mail), /^\d{6}$/, 'the mail itself is not redacted');
    const msg = await courierMessage(server, addr);
    assert.equal(msg.body, '<redacted-unless-dev-mode>');
    const one = await call(`${server.adminUrl}/admin/courier/messages/${msg.id}`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.data.body, '<redacted-unless-dev-mode>');
    assert.equal(one.data.subject, SUBJECT.recover);
  });
});

// Security checklist items 24 and 28 (docs/security.md).
describe('security checklist: codes are single use and never stored in clear', () => {
  let sink;
  let server;
  before(async () => {
    ({ sink, server } = await startWithSink({}, {}, { keep: true }));
  });
  after(async () => {
    await server?.stop();
    await sink?.stop();
    if (server) rmSync(server.dir, { recursive: true, force: true });
  });

  test('24: the right recovery code submitted 10 times at once succeeds exactly once', async () => {
    const addr = email('race');
    const identity = await createIdentity(server, addr);
    const { flow, sent } = await nativeSend(server, 'recovery', addr);
    assert.equal(sent.status, 200, sent.text);
    const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.recover)));
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => submitCode(server, 'recovery', flow.id, code)));
    const winners = answers.filter((r) => r.status === 200 && r.data?.state === 'passed_challenge');
    assert.equal(winners.length, 1, answers.map((r) => `${r.status} ${r.text.slice(0, 120)}`).join('\n'));
    for (const r of answers.filter((a) => a !== winners[0])) {
      assert.ok(!JSON.stringify(r.data ?? '').includes('ory_st_'), r.text);
    }
    const sessions = await call(`${server.adminUrl}/admin/identities/${identity.id}/sessions`);
    assert.equal(sessions.status, 200, sessions.text);
    assert.equal(sessions.data.length, 1, sessions.text);
  });

  test('28: codes and link tokens are nowhere in clear in the store or the log', async () => {
    const addr = email('scan');
    await createIdentity(server, addr);
    const { sent } = await nativeSend(server, 'recovery', addr);
    assert.equal(sent.status, 200, sent.text);
    const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.recover)));
    const link = await call(`${server.adminUrl}/admin/recovery/link`, {
      method: 'POST', json: { identity_id: (await createIdentity(server, email('scan-link'))).id },
    });
    assert.equal(link.status, 200, link.text);
    const token = new URL(link.data.recovery_link).searchParams.get('token');
    assert.match(token, /^[A-Za-z0-9]{32}$/);
    await courierMessage(server, addr);  // the mail's events are written too
    const files = [...filesUnder(join(server.dir, 'store')), join(server.dir, 'serve.log')];
    // A code is six digits: look for it as a number of its own, not inside
    // longer digit runs or a timestamp's fraction.
    const codeInClear = new RegExp(`(^|[^0-9.])${code}($|[^0-9])`);
    for (const f of files) {
      const bytes = readFileSync(f).toString('latin1');
      assert.ok(!bytes.includes(token), `the link token is in ${f}`);
      assert.ok(!codeInClear.test(bytes), `the code ${code} is in ${f}`);
    }
  });
});

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('audit: verification and recovery in the identity history', () => {
  let sink;
  let server;
  before(async () => {
    ({ sink, server } = await startWithSink());
  });
  after(async () => { await server?.stop(); await sink?.stop(); });

  test('a recovery by code shows the mailed code, the completion and the session it issued', async () => {
    const addr = email('history');
    const identity = await createIdentity(server, addr);
    const { flow, sent } = await nativeSend(server, 'recovery', addr);
    assert.equal(sent.status, 200, sent.text);
    const code = codeIn(await sink.waitFor(mailTo(addr, SUBJECT.recover)));
    const ok = await submitCode(server, 'recovery', flow.id, code);
    assert.equal(ok.status, 200, ok.text);
    const history = await call(`${server.adminUrl}/admin/identities/${identity.id}/history`);
    assert.equal(history.status, 200, history.text);
    const items = history.data.events ?? history.data;
    const ofFlow = items.filter((e) => e.flow?.id === flow.id);
    assert.deepEqual(ofFlow.map((e) => [e.type, e.flow.kind, e.flow.method]),
      [['flow.code_sent', 'recovery', 'code'], ['flow.completed', 'recovery', 'code']], JSON.stringify(items));
    const issued = items.find((e) => e.type === 'session.issued');
    assert.ok(issued, JSON.stringify(items));
    assert.deepEqual(issued.session.authentication_methods.map((m) => m.method), ['code_recovery']);
    assert.ok(items.some((e) => e.type === 'identity.address_verified'), 'the address was verified');
    assert.ok(!JSON.stringify(items).includes(code), 'the code is never shown');
  });
});
