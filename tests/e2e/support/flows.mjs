// Shared pieces of the end-to-end courier tests (courier.test.mjs with the
// embedded courier, courier_kafka.test.mjs through Kafka and mneme-courier):
// the expected Kratos v1.3.1 messages and subjects, a cookie jar, a fetch
// wrapper that does not follow redirects, and the self-service flow steps
// (native send, code submit, browser init) driven over HTTP.
//
// Mails carry links built from serve.public.base_url, which support/server.mjs
// sets to http://127.0.0.1:4433/ while the server listens on a random port:
// `local()` points such a link at the real port.
import assert from 'node:assert/strict';
import { linksIn } from './smtp.mjs';

export const UI = 'http://127.0.0.1:3000';
export const BASE = 'http://127.0.0.1:4433'; // serve.public.base_url in support/server.mjs
export const PASSWORD = 'a long unique passphrase 42';
export const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Subjects of Kratos's built-in templates (courier/template/courier/builtin/templates).
export const SUBJECT = {
  verify: 'Please verify your email address', // verification_code/valid and verification/valid
  verifyUnknown: 'Someone tried to verify this email address', // */invalid
  recover: 'Recover access to your account', // recovery_code/valid and recovery/valid
  recoverUnknown: 'Account access attempted', // */invalid
};

const sentText = (flow, kind) => `An email containing a ${flow} ${kind} has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.`;
export const MSG = {
  recoveryLinkSent: { id: 1060002, text: sentText('recovery', 'link'), type: 'info' },
  recoveryCodeSent: { id: 1060003, text: sentText('recovery', 'code'), type: 'info' },
  verificationLinkSent: { id: 1080001, text: sentText('verification', 'link'), type: 'info' },
  verificationCodeSent: { id: 1080003, text: sentText('verification', 'code'), type: 'info' },
  verified: { id: 1080002, text: 'You successfully verified your email address.', type: 'success' },
  recoveryCodeInvalid: { id: 4060006, text: 'The recovery code is invalid or has already been used. Please try again.', type: 'error' },
  verificationCodeInvalid: { id: 4070006, text: 'The verification code is invalid or has already been used. Please try again.', type: 'error' },
  recoveryTokenInvalid: { id: 4060004, text: 'The recovery token is invalid or has already been used. Please retry the flow.', type: 'error' },
  verificationTokenInvalid: { id: 4070001, text: 'The verification token is invalid or has already been used. Please retry the flow.', type: 'error' },
  verificationRetrySuccess: { id: 4070002, text: 'The request was already completed successfully and can not be retried.', type: 'error' },
};
// herodot 400 reasons turned into 4000001 messages by container.ParseError.
export const TOO_OFTEN = 'The request was submitted too often. Please request another code.';
export const ALREADY_USED = 'The code was already used. Please request another code.';
export const generic = (reason) => ({ id: 4000001, text: reason, type: 'error', context: { reason } });

let counter = 0;
export const email = (tag) => `${tag}-${process.pid}-${++counter}@example.com`;
export const mailTo = (addr, subject) => (m) => m.to.includes(addr) && (subject === undefined || m.subject === subject);
export const mailsTo = (sink, addr) => sink.mails.filter((m) => m.to.includes(addr));
// A 6-digit code that is certainly not `code`.
export const wrongCode = (code) => String((Number(code) + 1) % 1000000).padStart(6, '0');

// A link from a mail (built on serve.public.base_url), pointed at the real port.
export function local(server, href) {
  const u = new URL(href);
  assert.equal(u.origin, BASE, `links are built from serve.public.base_url: ${href}`);
  return `${server.publicUrl}${u.pathname}${u.search}`;
}

// A minimal cookie jar: name=value pairs from Set-Cookie, sent back as Cookie.
export class Jar {
  constructor() { this.cookies = new Map(); }
  take(res) {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0];
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      if (/;\s*max-age=(0|-\d+)\b/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(i + 1));
    }
  }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
}

// fetch without following redirects; `json` / `form` set the body and its type.
export async function call(url, { method = 'GET', jar, json, form, accept = 'application/json', headers = {} } = {}) {
  const h = { ...headers };
  if (accept) h.Accept = accept;
  if (jar && jar.cookies.size) h.Cookie = jar.header();
  let body;
  if (json !== undefined) { h['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  if (form !== undefined) { h['Content-Type'] = 'application/x-www-form-urlencoded'; body = new URLSearchParams(form).toString(); }
  const res = await fetch(url, { method, headers: h, body, redirect: 'manual' });
  jar?.take(res);
  const text = await res.text();
  let data;
  try { data = text ? JSON.parse(text) : undefined; } catch { data = text; }
  return { status: res.status, headers: res.headers, cookies: res.headers.getSetCookie(), data, text };
}

export const node = (flow, name) => flow.ui.nodes.find((n) => n.attributes.name === name);
export const names = (flow) => flow.ui.nodes.map((n) => n.attributes.name);
export const csrfOf = (flow) => node(flow, 'csrf_token').attributes.value;
export const sessionCookie = (r) => r.cookies.find((c) => c.startsWith('ory_kratos_session='));

// A 303 whose Location is `path` (origin + pathname); returns the URL.
export function redirectsTo(r, path) {
  assert.equal(r.status, 303, r.text);
  const loc = new URL(r.headers.get('location'));
  assert.equal(`${loc.origin}${loc.pathname}`, path, loc.href);
  return loc;
}

export async function createIdentity(server, addr) {
  const r = await call(`${server.adminUrl}/admin/identities`, {
    method: 'POST', json: { schema_id: 'default', traits: { email: addr } },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.data.verifiable_addresses[0].verified, false);
  return r.data;
}

export async function getIdentity(server, id) {
  const r = await call(`${server.adminUrl}/admin/identities/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.data;
}

// Native (api) flow: init, then submit {method, email}; returns both answers.
export async function nativeSend(server, kind, addr, method = 'code') {
  const init = await call(`${server.publicUrl}/self-service/${kind}/api`);
  assert.equal(init.status, 200, init.text);
  assert.equal(init.data.type, 'api');
  assert.equal(init.data.state, 'choose_method');
  const sent = await call(`${server.publicUrl}/self-service/${kind}?flow=${init.data.id}`, {
    method: 'POST', json: { method, email: addr },
  });
  return { flow: init.data, sent };
}

export const submitCode = (server, kind, flowId, code, opts = {}) => call(`${server.publicUrl}/self-service/${kind}?flow=${flowId}`, {
  method: 'POST', json: { method: 'code', code }, ...opts,
});

// Browser (HTML) flow init: 303 to the UI, then the flow fetched with the CSRF cookie.
export async function browserInit(server, kind, jar) {
  const r = await call(`${server.publicUrl}/self-service/${kind}/browser`, { jar, accept: 'text/html' });
  const loc = redirectsTo(r, `${UI}/${kind}`);
  const id = loc.searchParams.get('flow');
  assert.match(id, uuid);
  const f = await call(`${server.publicUrl}/self-service/${kind}/flows?id=${id}`, { jar });
  assert.equal(f.status, 200, f.text);
  assert.equal(f.data.type, 'browser');
  return f.data;
}

export async function courierMessages(server, query) {
  const r = await call(`${server.adminUrl}/admin/courier/messages?${new URLSearchParams(query)}`);
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.data), r.text);
  return r;
}

// The recovery link of `mail` (for flow `flowId`), opened in a fresh browser:
// 303 to the settings UI with a session cookie of `identityId`, signed in by
// link_recovery. Returns the link, that browser's jar and the settings URL.
export async function followRecoveryLink(server, mail, flowId, identityId) {
  assert.match(mail.text, /please recover access to your account by clicking the following link:/);
  const href = linksIn(mail)[0];
  const link = new URL(href);
  assert.equal(`${link.origin}${link.pathname}`, `${BASE}/self-service/recovery`);
  assert.equal(link.searchParams.get('flow'), flowId);
  assert.ok(link.searchParams.get('token'), href);
  const jar = new Jar();
  const done = await call(local(server, href), { jar, accept: 'text/html' });
  const settings = redirectsTo(done, `${UI}/settings`);
  assert.match(settings.searchParams.get('flow'), uuid);
  assert.ok(sessionCookie(done), done.cookies.join('\n'));
  const who = await call(`${server.publicUrl}/sessions/whoami`, { jar });
  assert.equal(who.status, 200, who.text);
  assert.equal(who.data.identity.id, identityId);
  assert.deepEqual(who.data.authentication_methods.map((m) => m.method), ['link_recovery']);
  return { href, jar, settings };
}

// The self-service, courier and throttle config of the courier tests, as YAML
// for startServer's extraConfig. mneme's per-client submit limiter (not a
// Kratos feature) is widened so a burst of test requests from 127.0.0.1 is
// never answered 429. `extra` is appended under the top-level `mneme:` key.
export function courierConfig(sink, {
  recoveryUse = 'code', verificationUse = 'code', notifyUnknownVerification = false,
  notifyUnknownRecovery = false, codeLifespan, messageRetries, burst = 10000, extra = '',
} = {}) {
  return `
selfservice:
  default_browser_return_url: ${UI}/
  allowed_return_urls: [${UI}]
  methods:
    password:
      config: {haveibeenpwned_enabled: false}
    code:
      enabled: true${codeLifespan ? `\n      config: {lifespan: ${codeLifespan}}` : ''}
    link:
      enabled: true
  flows:
    error: {ui_url: ${UI}/error}
    login: {ui_url: ${UI}/login}
    settings: {ui_url: ${UI}/settings}
    registration:
      ui_url: ${UI}/registration
      after:
        password:
          hooks: [{hook: session}]
    verification:
      enabled: true
      ui_url: ${UI}/verification
      use: ${verificationUse}
      notify_unknown_recipients: ${notifyUnknownVerification}
    recovery:
      enabled: true
      ui_url: ${UI}/recovery
      use: ${recoveryUse}
      notify_unknown_recipients: ${notifyUnknownRecovery}
courier:
  smtp:
    connection_uri: "${sink.url}"
    from_address: no-reply@mneme.test
    from_name: Mneme${messageRetries !== undefined ? `\n  message_retries: ${messageRetries}` : ''}
feature_flags:
  use_continue_with_transitions: true
mneme:
  throttle:
    client: {burst: ${burst}, per_second: ${burst / 10}}
${extra}`;
}
