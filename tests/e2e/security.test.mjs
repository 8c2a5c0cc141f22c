// The security checklist (/work/shared/security-checklist.md, items 1-22 and
// 47-51) end to end against the real `mneme serve`: CSRF, cookies, session
// tokens, logout and expiry, the password policy, throttling, return_to, the
// admin/public split and hostile bodies. One test per checklist item, named
// `checklist <n>: ...`; docs/security.md maps every item to its tests.
//
// Most items share one server (`base`). Items that need their own config start
// a server inside the test and stop it at the end. All requests come from
// 127.0.0.1, so the base server raises the throttles far out of reach; items 21
// and 22 test the throttles with small limits on their own servers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Configuration, FrontendApi } from '@ory/client';
import { startServer } from './support/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TOKEN = /^ory_st_[A-Za-z0-9]{32}$/;
const SESSION_COOKIE = 'ory_kratos_session';
const EVIL = 'https://evil.example/';

// The base self-service config of the brief; `loginHooks` adds
// flows.login.after.password.hooks, `password` replaces the password config.
function selfservice({ loginHooks = null, password = '{haveibeenpwned_enabled: false}' } = {}) {
  return [
    'selfservice:',
    '  default_browser_return_url: http://127.0.0.1:3000/',
    '  allowed_return_urls: [http://127.0.0.1:3000]',
    '  methods:',
    '    password:',
    `      config: ${password}`,
    '  flows:',
    '    login:',
    '      ui_url: http://127.0.0.1:3000/login',
    ...(loginHooks ? ['      after:', '        password:',
      `          hooks: [${loginHooks.map((h) => `{hook: ${h}}`).join(', ')}]`] : []),
    '    registration:',
    '      ui_url: http://127.0.0.1:3000/registration',
    '      after:',
    '        password:',
    '          hooks: [{hook: session}]',
  ].join('\n');
}
// hashers.* through the environment (the support config already sets hashers).
const ARGON2_ENV = { HASHERS_ALGORITHM: 'argon2', HASHERS_ARGON2_MEMORY: '16MB',
  HASHERS_ARGON2_ITERATIONS: '1', HASHERS_ARGON2_PARALLELISM: '1' };
// Effectively no throttling (every test request comes from 127.0.0.1).
const GENEROUS_THROTTLE = 'mneme: {throttle: {login: {free_failures: 90}, client: {burst: 100000, per_second: 10000}}}';

async function start({ extra = '', env = {}, ...options } = {}) {
  const s = await startServer({ extraConfig: [selfservice(options), extra].join('\n'), env });
  assert.doesNotMatch(s.log(), /unknown config key/, 'every config key must be honoured');
  return s;
}
// Starts a server for one test and always stops it. A stop waits for the
// process to exit (about 3 s), so it runs in the background and after() waits.
const stopping = [];
async function withServer(options, fn) {
  const s = await start(options);
  try {
    return await fn(s);
  } finally {
    stopping.push(s.stop());
  }
}

// Every session token any test obtained (checked against logs in item 7).
const issuedTokens = new Set();
const remember = (token) => { if (token) issuedTokens.add(token); return token; };

// URLs the server renders use serve.public.base_url (127.0.0.1:4433); send
// them to the port the test server really listens on.
const local = (server, url) => url.replace(/^https?:\/\/127\.0\.0\.1:4433/, server.publicUrl);
const csrfOf = (flow) => flow.ui.nodes.find((n) => n.attributes.name === 'csrf_token').attributes.value;
const nodeMessages = (body, name) => body.ui.nodes.find((n) => n.attributes.name === name)?.messages ?? [];

// A native (API) flow: init, then one JSON submission.
async function apiFlow(server, kind) {
  const r = await fetch(`${server.publicUrl}/self-service/${kind}/api`);
  assert.equal(r.status, 200);
  return r.json();
}
async function apiPost(server, kind, flowId, body, headers = {}) {
  const r = await fetch(`${server.publicUrl}/self-service/${kind}?flow=${flowId}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  if (json?.session_token) remember(json.session_token);
  return { status: r.status, body: json, headers: r.headers };
}
async function register(server, email, password) {
  const flow = await apiFlow(server, 'registration');
  return apiPost(server, 'registration', flow.id, { method: 'password', traits: { email }, password });
}
async function login(server, identifier, password, headers = {}) {
  const flow = await apiFlow(server, 'login');
  return apiPost(server, 'login', flow.id, { method: 'password', identifier, password }, headers);
}
async function loginOk(server, identifier, password) {
  const r = await login(server, identifier, password);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}
async function adminCreate(server, email, password) {
  const r = await fetch(`${server.adminUrl}/admin/identities`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ schema_id: 'default', traits: { email },
      credentials: { password: { config: { password } } } }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  return r.json();
}
async function identitiesWith(server, identifier) {
  const r = await fetch(`${server.adminUrl}/admin/identities?credentials_identifier=${encodeURIComponent(identifier)}`);
  assert.equal(r.status, 200);
  return r.json();
}
async function whoami(server, { token, cookie } = {}) {
  const headers = {};
  if (token) headers['X-Session-Token'] = token;
  if (cookie) headers.Cookie = `${SESSION_COOKIE}=${cookie}`;
  const r = await fetch(`${server.publicUrl}/sessions/whoami`, { headers });
  return { status: r.status, body: await r.json() };
}

// A browser: a cookie jar (a later Set-Cookie of the same name wins, Max-Age=0
// deletes), no automatic redirects, every Set-Cookie and Location recorded.
class Browser {
  constructor(server) {
    this.server = server;
    this.jar = new Map();
    this.setCookies = [];
    this.locations = [];
  }
  cookieHeader() { return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '); }
  get session() { return this.jar.get(SESSION_COOKIE); }
  csrfCookieName() { return [...this.jar.keys()].find((k) => k.startsWith('csrf_token_')); }

  async fetch(path, { method = 'GET', headers = {}, json, form, body } = {}) {
    const h = { ...headers };
    if (this.jar.size) h.Cookie = this.cookieHeader();
    if (json !== undefined) {
      h['Content-Type'] = 'application/json';
      h.Accept = 'application/json';
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      h['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const url = path.startsWith('http') ? local(this.server, path) : this.server.publicUrl + path;
    const res = await fetch(url, { method, headers: h, body, redirect: 'manual' });
    for (const sc of res.headers.getSetCookie()) {
      this.setCookies.push(sc);
      const [pair, ...attrs] = sc.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a))) {
        this.jar.delete(name);
      } else {
        this.jar.set(name, value);
      }
    }
    if (res.headers.get('location')) this.locations.push(res.headers.get('location'));
    return res;
  }

  // An SPA initialising a flow (JSON answer).
  async initFlow(kind, query = '') {
    const r = await this.fetch(`/self-service/${kind}/browser${query}`, { headers: { Accept: 'application/json' } });
    const body = await r.json();
    assert.equal(r.status, 200, JSON.stringify(body));
    return body;
  }

  // Gets the anti-CSRF cookie before the first real flow. mneme sets two
  // different CSRF cookies on a cookie-less flow init (see checklist 3), which
  // makes a brand-new browser's first flow unusable; tests about other items
  // start from a browser that already holds the cookie, as after a reload.
  async warm() {
    await this.initFlow('login');
    assert.ok(this.csrfCookieName(), 'a CSRF cookie was set');
    return this;
  }

  async spaLogin(identifier, password, query = '') {
    const flow = await this.initFlow('login', query);
    const r = await this.fetch(`/self-service/login?flow=${flow.id}`, {
      method: 'POST', json: { method: 'password', identifier, password, csrf_token: csrfOf(flow) },
    });
    const body = await r.json();
    remember(this.session);
    return { status: r.status, body, res: r };
  }

  async spaLoginOk(identifier, password, query = '') {
    const r = await this.spaLogin(identifier, password, query);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(this.session, 'a session cookie was set');
    return r;
  }
}

let base;
before(async () => { base = await start({ extra: GENEROUS_THROTTLE }); });
after(async () => { stopping.push(base?.stop()); await Promise.all(stopping); });

test('checklist 1: browser-flow POST without csrf_token is 403 security_csrf_violation and changes nothing', async () => {
  const b = await new Browser(base).warm();
  const assertCsrf = async (r) => {
    assert.equal(r.status, 403);
    const body = await r.json();
    assert.equal(body.error.id, 'security_csrf_violation');
    assert.equal(body.error.code, 403);
  };
  // Registration, SPA (JSON) and classic form.
  for (const [email, how] of [['csrf-json@example.com', 'json'], ['csrf-form@example.com', 'form']]) {
    const flow = await b.initFlow('registration');
    const fields = { method: 'password', 'traits.email': email, password: 'a long unique passphrase 1' };
    const r = how === 'json'
      ? await b.fetch(`/self-service/registration?flow=${flow.id}`, { method: 'POST',
        json: { method: 'password', traits: { email }, password: 'a long unique passphrase 1' } })
      : await b.fetch(`/self-service/registration?flow=${flow.id}`, { method: 'POST', form: fields });
    await assertCsrf(r);
    assert.deepEqual(await identitiesWith(base, email), [], `${how}: no identity was created`);
    assert.equal(b.session, undefined);
  }
  // Login, SPA and form: no session, and the flow is still usable afterwards.
  await adminCreate(base, 'csrf-login@example.com', 'a long unique passphrase 1');
  for (const how of ['json', 'form']) {
    const flow = await b.initFlow('login');
    const fields = { method: 'password', identifier: 'csrf-login@example.com', password: 'a long unique passphrase 1' };
    const r = how === 'json'
      ? await b.fetch(`/self-service/login?flow=${flow.id}`, { method: 'POST', json: fields })
      : await b.fetch(`/self-service/login?flow=${flow.id}`, { method: 'POST', form: fields });
    await assertCsrf(r);
    assert.ok(!r.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`)), 'no session cookie');
    assert.equal(b.session, undefined);
  }
  // The token without the cookie is refused as well.
  const flow = await b.initFlow('login');
  const r = await fetch(`${base.publicUrl}/self-service/login?flow=${flow.id}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ method: 'password', identifier: 'csrf-login@example.com',
      password: 'a long unique passphrase 1', csrf_token: csrfOf(flow) }),
  });
  await assertCsrf(r);
});

test('checklist 2: a CSRF token from another browser\'s cookie is 403', async () => {
  await adminCreate(base, 'mixed@example.com', 'a long unique passphrase 2');
  const a = await new Browser(base).warm();
  const b = await new Browser(base).warm();
  assert.notEqual(a.jar.get(a.csrfCookieName()), b.jar.get(b.csrfCookieName()));
  const fa = await a.initFlow('login');
  const fb = await b.initFlow('login');
  const body = (csrf) => ({ method: 'password', identifier: 'mixed@example.com', password: 'a long unique passphrase 2', csrf_token: csrf });
  // A's cookie, B's token, A's flow.
  let r = await a.fetch(`/self-service/login?flow=${fa.id}`, { method: 'POST', json: body(csrfOf(fb)) });
  assert.equal(r.status, 403);
  assert.equal((await r.json()).error.id, 'security_csrf_violation');
  // B's cookie and token on A's flow.
  r = await b.fetch(`/self-service/login?flow=${fa.id}`, { method: 'POST', json: body(csrfOf(fb)) });
  assert.equal(r.status, 403);
  assert.equal((await r.json()).error.id, 'security_csrf_violation');
  // B's cookie with A's token on B's flow.
  r = await b.fetch(`/self-service/login?flow=${fb.id}`, { method: 'POST', json: body(csrfOf(fa)) });
  assert.equal(r.status, 403);
  assert.equal(a.session, undefined);
  assert.equal(b.session, undefined);
  // Control: A's own token and cookie work.
  r = await a.fetch(`/self-service/login?flow=${fa.id}`, { method: 'POST', json: body(csrfOf(fa)) });
  assert.equal(r.status, 200, await r.clone().text());
  remember(a.session);
});

test('checklist 3: rendering a flow twice gives different masked tokens, all accepted; a new browser\'s first flow works', async () => {
  await adminCreate(base, 'render@example.com', 'a long unique passphrase 3');
  // A browser holding the CSRF cookie: three renderings of one flow.
  const b = await new Browser(base).warm();
  const flow = await b.initFlow('login');
  const fetchFlow = async () => {
    const r = await b.fetch(`/self-service/login/flows?id=${flow.id}`);
    assert.equal(r.status, 200);
    return r.json();
  };
  const tokens = [csrfOf(flow), csrfOf(await fetchFlow()), csrfOf(await fetchFlow())];
  assert.equal(new Set(tokens).size, 3, 'every rendering masks the token afresh');
  // The oldest rendering is accepted (a wrong password is a 400, not a CSRF 403)...
  let r = await b.fetch(`/self-service/login?flow=${flow.id}`, { method: 'POST',
    json: { method: 'password', identifier: 'render@example.com', password: 'wrong password 3', csrf_token: tokens[0] } });
  assert.equal(r.status, 400, await r.clone().text());
  assert.equal(nodeMessages(await r.json(), 'csrf_token').length, 0);
  // ... and so is the middle one, completing the login.
  r = await b.fetch(`/self-service/login?flow=${flow.id}`, { method: 'POST',
    json: { method: 'password', identifier: 'render@example.com', password: 'a long unique passphrase 3', csrf_token: tokens[1] } });
  assert.equal(r.status, 200, await r.clone().text());
  remember(b.session);

  // A brand-new browser (no cookies): its very first flow must work. The init
  // sets exactly one CSRF cookie, and that cookie with the rendered token passes.
  const fresh = new Browser(base);
  const first = await fresh.initFlow('login');
  const csrfSet = fresh.setCookies.filter((c) => c.startsWith('csrf_token_'));
  r = await fresh.fetch(`/self-service/login?flow=${first.id}`, { method: 'POST',
    json: { method: 'password', identifier: 'render@example.com', password: 'a long unique passphrase 3', csrf_token: csrfOf(first) } });
  assert.equal(r.status, 200, `first flow of a new browser: ${(await r.clone().text()).slice(0, 120)}\nSet-Cookie on init:\n${csrfSet.join('\n')}`);
  assert.equal(csrfSet.length, 1, `one CSRF cookie per response, got:\n${csrfSet.join('\n')}`);
});

test('checklist 4: API flows refuse an Origin header and any Cookie header', async () => {
  const expect400 = async (r, what) => {
    assert.equal(r.status, 400, what);
    const body = await r.json();
    assert.equal(body.error.code, 400, what);
  };
  // Init.
  await expect400(await fetch(`${base.publicUrl}/self-service/login/api`, { headers: { Origin: 'http://127.0.0.1:3000' } }), 'login init with Origin');
  await expect400(await fetch(`${base.publicUrl}/self-service/registration/api`, { headers: { Origin: 'http://127.0.0.1:3000' } }), 'registration init with Origin');
  await expect400(await fetch(`${base.publicUrl}/self-service/login/api`, { headers: { Cookie: 'foo=bar' } }), 'login init with Cookie');
  // Submit.
  await adminCreate(base, 'apiorigin@example.com', 'a long unique passphrase 4');
  const flow = await apiFlow(base, 'login');
  const body = { method: 'password', identifier: 'apiorigin@example.com', password: 'a long unique passphrase 4' };
  let r = await apiPost(base, 'login', flow.id, body, { Origin: 'http://127.0.0.1:3000' });
  assert.equal(r.status, 400, 'submit with Origin');
  assert.equal(r.body.session_token, undefined);
  r = await apiPost(base, 'login', flow.id, body, { Cookie: 'foo=bar' });
  assert.equal(r.status, 400, 'submit with Cookie');
  assert.equal(r.body.session_token, undefined);
  const reg = await apiFlow(base, 'registration');
  r = await apiPost(base, 'registration', reg.id, { method: 'password', traits: { email: 'apicookie@example.com' },
    password: 'a long unique passphrase 4' }, { Cookie: 'foo=bar' });
  assert.equal(r.status, 400, 'registration with Cookie');
  assert.deepEqual(await identitiesWith(base, 'apicookie@example.com'), []);
  // The refused submissions left the flow usable.
  r = await apiPost(base, 'login', flow.id, body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
});

function cookieAttributes(setCookie) {
  const [pair, ...rest] = setCookie.split(';').map((s) => s.trim());
  const attrs = new Map();
  for (const a of rest) {
    const eq = a.indexOf('=');
    attrs.set((eq < 0 ? a : a.slice(0, eq)).toLowerCase(), eq < 0 ? true : a.slice(eq + 1));
  }
  return { name: pair.slice(0, pair.indexOf('=')), attrs };
}
function assertCookieFlags(setCookie, { secure }) {
  const { attrs } = cookieAttributes(setCookie);
  assert.ok(attrs.has('httponly'), `HttpOnly: ${setCookie}`);
  assert.match(String(attrs.get('samesite')), /^(lax|strict)$/i, `SameSite: ${setCookie}`);
  assert.equal(attrs.get('path'), '/', `Path=/: ${setCookie}`);
  assert.ok(!attrs.has('domain'), `no Domain: ${setCookie}`);
  assert.equal(attrs.has('secure'), secure, `Secure ${secure ? 'required' : 'not set over http'}: ${setCookie}`);
}

test('checklist 5: CSRF and session cookies are HttpOnly, SameSite=Lax, Path=/, no Domain; Secure under https', async () => {
  await adminCreate(base, 'cookies@example.com', 'a long unique passphrase 5');
  const b = new Browser(base);
  await b.initFlow('login');
  await b.initFlow('registration');
  await b.spaLoginOk('cookies@example.com', 'a long unique passphrase 5');
  const logout = await (await b.fetch('/self-service/logout/browser')).json();
  await b.fetch(logout.logout_url);
  const names = new Set(b.setCookies.map((c) => cookieAttributes(c).name));
  assert.ok([...names].some((n) => n.startsWith('csrf_token_')), 'saw the CSRF cookie');
  assert.ok(names.has(SESSION_COOKIE), 'saw the session cookie');
  for (const c of b.setCookies) assertCookieFlags(c, { secure: false });
  for (const c of b.setCookies) assert.equal(cookieAttributes(c).attrs.get('samesite').toLowerCase(), 'lax');

  await withServer({ env: { SERVE_PUBLIC_BASE_URL: 'https://127.0.0.1:4433/' } }, async (s) => {
    await adminCreate(s, 'cookies@example.com', 'a long unique passphrase 5');
    const hb = new Browser(s);
    await hb.warm();
    await hb.spaLoginOk('cookies@example.com', 'a long unique passphrase 5');
    const seen = hb.setCookies.map((c) => cookieAttributes(c).name);
    assert.ok(seen.some((n) => n.startsWith('csrf_token_')) && seen.includes(SESSION_COOKIE), seen.join());
    for (const c of hb.setCookies) assertCookieFlags(c, { secure: true });
  });
});

test('checklist 6: every authentication issues a new session token; no pre-login value becomes the session', async () => {
  await adminCreate(base, 'fix-alice@example.com', 'a long unique passphrase 6a');
  await adminCreate(base, 'fix-bob@example.com', 'a long unique passphrase 6b');
  // Session fixation: the attacker plants a session cookie value before login.
  const b = await new Browser(base).warm();
  const planted = `ory_st_${'A'.repeat(32)}`;
  b.jar.set(SESSION_COOKIE, planted);
  const preLogin = new Set(b.jar.values());
  const flow = await b.initFlow('login');
  preLogin.add(csrfOf(flow));
  const r = await b.fetch(`/self-service/login?flow=${flow.id}`, { method: 'POST',
    json: { method: 'password', identifier: 'fix-alice@example.com', password: 'a long unique passphrase 6a', csrf_token: csrfOf(flow) } });
  assert.equal(r.status, 200, await r.clone().text());
  const s1 = remember(b.session);
  assert.match(s1, TOKEN);
  assert.ok(!preLogin.has(s1), 'the session token is not a pre-login cookie or token value');
  assert.equal((await whoami(base, { cookie: planted })).status, 401, 'the planted value is no session');
  assert.equal((await whoami(base, { cookie: s1 })).status, 200);

  // Logging in again (another browser, a native client, a refresh) gives a new token each time.
  const b2 = await new Browser(base).warm();
  await b2.spaLoginOk('fix-alice@example.com', 'a long unique passphrase 6a');
  const s2 = b2.session;
  const t3 = (await loginOk(base, 'fix-alice@example.com', 'a long unique passphrase 6a')).session_token;
  await b.spaLoginOk('fix-alice@example.com', 'a long unique passphrase 6a', '?refresh=true');
  const s4 = b.session;
  assert.equal(new Set([s1, s2, t3, s4]).size, 4, 'four authentications, four tokens');

  // Another user in the same browser (after logout) gets yet another token.
  const logout = await (await b.fetch('/self-service/logout/browser')).json();
  await b.fetch(logout.logout_url);
  assert.equal(b.session, undefined);
  await b.spaLoginOk('fix-bob@example.com', 'a long unique passphrase 6b');
  const s5 = b.session;
  assert.ok(![s1, s2, t3, s4, planted].includes(s5));
  const me = await whoami(base, { cookie: s5 });
  assert.equal(me.status, 200);
  assert.equal(me.body.identity.traits.email, 'fix-bob@example.com');
});

test('checklist 7: session tokens are ory_st_ + 32 alphanumerics and never appear in a URL, redirect or log line', async () => {
  await adminCreate(base, 'tokens@example.com', 'a long unique passphrase 7');
  const reg = await register(base, 'tokens-reg@example.com', 'a long unique passphrase 7');
  assert.equal(reg.status, 200, JSON.stringify(reg.body));
  const native = await loginOk(base, 'tokens@example.com', 'a long unique passphrase 7');
  // A classic form login: 303 to the return URL, the token only in the cookie.
  const b = await new Browser(base).warm();
  const res = await b.fetch('/self-service/login/browser');
  assert.equal(res.status, 303);
  const flowId = new URL(res.headers.get('location')).searchParams.get('flow');
  const flow = await (await b.fetch(`/self-service/login/flows?id=${flowId}`)).json();
  const done = await b.fetch(`/self-service/login?flow=${flowId}`, { method: 'POST',
    form: { method: 'password', identifier: 'tokens@example.com', password: 'a long unique passphrase 7', csrf_token: csrfOf(flow) } });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), 'http://127.0.0.1:3000/');
  remember(b.session);
  const logout = await (await b.fetch('/self-service/logout/browser')).json();
  assert.ok(!logout.logout_url.includes(b.session));
  await b.fetch(logout.logout_url);

  assert.ok(issuedTokens.has(reg.body.session_token) && issuedTokens.has(native.session_token));
  assert.ok(issuedTokens.size >= 8, `${issuedTokens.size} tokens issued so far`);
  for (const t of issuedTokens) assert.match(t, TOKEN);
  for (const loc of b.locations) assert.doesNotMatch(loc, /ory_st_/, `Location ${loc}`);
  const log = base.log();
  assert.ok(log.includes('path=/self-service/login'), 'the log has request lines');
  for (const t of issuedTokens) assert.ok(!log.includes(t), `token ${t.slice(0, 12)}... is in the log`);
  assert.doesNotMatch(log, /ory_st_/);
});

test('checklist 8: after logout the old cookie and token are 401 (native and browser)', async () => {
  const frontend = new FrontendApi(new Configuration({ basePath: base.publicUrl }));
  await adminCreate(base, 'logout@example.com', 'a long unique passphrase 8');
  // Native: DELETE /self-service/logout/api through the SDK.
  const { session_token: token } = await loginOk(base, 'logout@example.com', 'a long unique passphrase 8');
  assert.equal((await frontend.toSession({ xSessionToken: token })).status, 200);
  const out = await frontend.performNativeLogout({ performNativeLogoutBody: { session_token: token } });
  assert.equal(out.status, 204);
  assert.equal((await whoami(base, { token })).status, 401);
  await assert.rejects(frontend.toSession({ xSessionToken: token }), (e) => e.response?.status === 401);
  // Browser: logout URL, then the old cookie (as cookie and as token).
  const b = await new Browser(base).warm();
  await b.spaLoginOk('logout@example.com', 'a long unique passphrase 8');
  const cookie = b.session;
  assert.equal((await whoami(base, { cookie })).status, 200);
  const logout = await (await b.fetch('/self-service/logout/browser')).json();
  const r = await b.fetch(logout.logout_url);
  assert.equal(r.status, 303);
  assert.equal(b.session, undefined, 'the session cookie was cleared');
  assert.equal((await whoami(base, { cookie })).status, 401);
  assert.equal((await whoami(base, { token: cookie })).status, 401);
  // The logout URL cannot be replayed into anything.
  const again = await fetch(local(base, logout.logout_url), { redirect: 'manual' });
  assert.ok(again.status < 500);
  assert.equal((await whoami(base, { cookie })).status, 401);
});

test('checklist 9: a session dies at session.lifespan; the cookie Max-Age matches', async () => {
  await withServer({ extra: 'session: {lifespan: 2s}' }, async (s) => {
    await adminCreate(s, 'short@example.com', 'a long unique passphrase 9');
    const b = await new Browser(s).warm();
    const { res } = await b.spaLoginOk('short@example.com', 'a long unique passphrase 9');
    const set = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    const maxAge = Number(cookieAttributes(set).attrs.get('max-age'));
    assert.ok(maxAge >= 1 && maxAge <= 2, `Max-Age=${maxAge}`);
    const { session_token: token, session } = await loginOk(s, 'short@example.com', 'a long unique passphrase 9');
    assert.ok(Date.parse(session.expires_at) - Date.now() <= 2000 + 100, session.expires_at);
    assert.equal((await whoami(s, { cookie: b.session })).status, 200);
    assert.equal((await whoami(s, { token })).status, 200);
    await sleep(2500);
    assert.equal((await whoami(s, { cookie: b.session })).status, 401);
    assert.equal((await whoami(s, { token })).status, 401);
  });
});

test('checklist 10: with revoke_active_sessions a new login revokes the older sessions', async () => {
  await withServer({ loginHooks: ['revoke_active_sessions'] }, async (s) => {
    await adminCreate(s, 'revoke@example.com', 'a long unique passphrase 10');
    await adminCreate(s, 'bystander@example.com', 'a long unique passphrase 10');
    const other = (await loginOk(s, 'bystander@example.com', 'a long unique passphrase 10')).session_token;
    const t1 = (await loginOk(s, 'revoke@example.com', 'a long unique passphrase 10')).session_token;
    assert.equal((await whoami(s, { token: t1 })).status, 200);
    const t2 = (await loginOk(s, 'revoke@example.com', 'a long unique passphrase 10')).session_token;
    assert.equal((await whoami(s, { token: t1 })).status, 401, 'the first session was revoked');
    assert.equal((await whoami(s, { token: t2 })).status, 200, 'the new session works');
    assert.equal((await whoami(s, { token: other })).status, 200, 'another identity is untouched');
  });
});

test('hook require_verified_address: an account without a verified address cannot sign in (4000010)', async () => {
  await withServer({ loginHooks: ['require_verified_address'] }, async (s) => {
    await adminCreate(s, 'unverified@example.com', 'a long unique passphrase 12');
    const refused = await login(s, 'unverified@example.com', 'a long unique passphrase 12');
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.ui.messages[0].id, 4000010);
    assert.equal(refused.body.session_token, undefined);
    const r = await fetch(`${s.adminUrl}/admin/identities`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ schema_id: 'default', traits: { email: 'verified@example.com' },
        verifiable_addresses: [{ value: 'verified@example.com', via: 'email', verified: true, status: 'completed' }],
        credentials: { password: { config: { password: 'a long unique passphrase 12' } } } }),
    });
    assert.equal(r.status, 201, await r.clone().text());
    const ok = await login(s, 'verified@example.com', 'a long unique passphrase 12');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});

test('whoami by Authorization: Bearer and by cookie, as by X-Session-Token', async () => {
  const a = await adminCreate(base, 'bearer@example.com', 'a long unique passphrase 13');
  const { session_token: token } = await loginOk(base, 'bearer@example.com', 'a long unique passphrase 13');
  const bearer = await fetch(`${base.publicUrl}/sessions/whoami`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(bearer.status, 200);
  assert.equal(bearer.headers.get('x-kratos-authenticated-identity-id'), a.id);
  assert.equal((await whoami(base, { cookie: token })).status, 200);
  assert.equal((await fetch(`${base.publicUrl}/sessions/whoami`, { headers: { Authorization: 'Bearer ory_st_nope' } })).status, 401);
});

test('checklist 49: a self-service request cannot set state, metadata_admin, verified addresses or credentials', async () => {
  const a = await adminCreate(base, 'protected49@example.com', 'a long unique passphrase 49');
  const { session_token: token } = await loginOk(base, 'protected49@example.com', 'a long unique passphrase 49');
  const body = { method: 'profile', traits: { email: 'protected49@example.com' }, state: 'inactive',
    metadata_admin: { role: 'root' }, verifiable_addresses: [{ value: 'protected49@example.com', verified: true }],
    credentials: { password: { config: { hashed_password: '$2b$04$abcdefghijklmnopqrstuu' } } } };
  // There is no settings flow to carry such a body (nor an identity PATCH on the public port): refused.
  for (const [method, path] of [['POST', '/self-service/settings?flow=00000000-0000-4000-8000-000000000000'],
    ['PATCH', `/admin/identities/${a.id}`], ['PUT', `/admin/identities/${a.id}`], ['POST', '/self-service/settings/api']]) {
    const r = await fetch(`${base.publicUrl}${path}`, { method, headers: { 'Content-Type': 'application/json', 'X-Session-Token': token },
      body: JSON.stringify(body) });
    assert.ok([404, 405].includes(r.status), `${method} ${path}: ${r.status}`);
  }
  const after = await (await fetch(`${base.adminUrl}/admin/identities/${a.id}`)).json();
  assert.equal(after.state, 'active');
  assert.equal(after.metadata_admin ?? null, null);
  assert.equal(after.verifiable_addresses[0].verified, false);
  assert.equal((await whoami(base, { token })).status, 200);
});

test('checklist 11: disabling or deleting an identity kills its sessions at once', async () => {
  const a = await adminCreate(base, 'disable@example.com', 'a long unique passphrase 11');
  const { session_token: ta } = await loginOk(base, 'disable@example.com', 'a long unique passphrase 11');
  assert.equal((await whoami(base, { token: ta })).status, 200);
  const patched = await fetch(`${base.adminUrl}/admin/identities/${a.id}`, {
    method: 'PATCH', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify([{ op: 'replace', path: '/state', value: 'inactive' }]),
  });
  assert.equal(patched.status, 200, await patched.clone().text());
  const disabled = await whoami(base, { token: ta });
  assert.equal(disabled.status, 401);
  // As Kratos's whoami: no reason is given (login says "This account was disabled.").
  assert.equal(disabled.body.error.reason, 'No valid session credentials found in the request.');
  const relogin = await login(base, 'disable@example.com', 'a long unique passphrase 11');
  assert.notEqual(relogin.status, 200, 'a disabled identity cannot log in');
  assert.equal(relogin.body.session_token, undefined);

  const d = await adminCreate(base, 'delete@example.com', 'a long unique passphrase 11');
  const { session_token: td } = await loginOk(base, 'delete@example.com', 'a long unique passphrase 11');
  const del = await fetch(`${base.adminUrl}/admin/identities/${d.id}`, { method: 'DELETE' });
  assert.equal(del.status, 204);
  assert.equal((await whoami(base, { token: td })).status, 401);
});

test('checklist 12: unknown identifier and wrong password answer alike, in status, messages and time', async (t) => {
  await adminCreate(base, 'timing-known@example.com', 'a long unique passphrase 12');
  const attempt = async (identifier) => {
    const flow = await apiFlow(base, 'login');
    const t0 = performance.now();
    const r = await apiPost(base, 'login', flow.id, { method: 'password', identifier, password: 'not the password 12' });
    return { ms: performance.now() - t0, ...r };
  };
  const known = await attempt('timing-known@example.com');
  const unknown = await attempt('timing-nobody@example.com');
  assert.equal(known.status, 400);
  assert.equal(unknown.status, known.status);
  assert.deepEqual(unknown.body.ui.messages, known.body.ui.messages);
  assert.equal(known.body.ui.messages[0].id, 4000006);
  for (const name of ['identifier', 'password', 'csrf_token']) {
    assert.deepEqual(nodeMessages(unknown.body, name), nodeMessages(known.body, name), name);
  }
  assert.deepEqual(Object.keys(unknown.body), Object.keys(known.body));
  const times = { known: [], unknown: [] };
  for (let i = 0; i < 40; i++) {
    for (const [kind, id] of i % 2 ? [['known', 'timing-known@example.com'], ['unknown', 'timing-nobody@example.com']]
      : [['unknown', 'timing-nobody@example.com'], ['known', 'timing-known@example.com']]) {
      const r = await attempt(id);
      assert.equal(r.status, 400);
      times[kind].push(r.ms);
    }
  }
  const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return (s[19] + s[20]) / 2; };
  const mk = median(times.known);
  const mu = median(times.unknown);
  const detail = `known median ${mk.toFixed(2)} ms, unknown median ${mu.toFixed(2)} ms`;
  t.diagnostic(detail);
  assert.ok(Math.abs(mk - mu) <= 50, detail);
  assert.ok(Math.max(mk, mu) <= 2 * Math.min(mk, mu), detail);
  assert.ok(mu >= 0.5 * mk, `the unknown identifier still pays for a hash check: ${detail}`);
});


test('checklist 14: password length counts code points (min 8)', async () => {
  let r = await register(base, 'len7@example.com', 'Zq3#xv9');
  assert.equal(r.status, 400);
  let msg = nodeMessages(r.body, 'password');
  assert.equal(msg[0]?.id, 4000032, JSON.stringify(msg));
  assert.equal(msg[0].context.actual_length, 7);
  assert.equal(msg[0].context.min_length, 8);

  const four = '🦊🐙🦉🐝';
  assert.equal(Buffer.byteLength(four), 16);
  r = await register(base, 'emoji4@example.com', four);
  assert.equal(r.status, 400, '16 bytes but 4 characters is too short');
  msg = nodeMessages(r.body, 'password');
  assert.equal(msg[0]?.id, 4000032, JSON.stringify(msg));
  assert.equal(msg[0].context.actual_length, 4);
  assert.deepEqual(await identitiesWith(base, 'emoji4@example.com'), []);

  const eight = '🦊🐙🦉🐝🦀🐢🦔🐳';
  r = await register(base, 'emoji8@example.com', eight);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await loginOk(base, 'emoji8@example.com', eight);
});

const randomPassword = (n) => randomBytes(n * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, n);

test('checklist 15: 64 characters are accepted; longer passwords are never silently truncated', async () => {
  const p64 = randomPassword(64);
  assert.equal(p64.length, 64);
  let r = await register(base, 'long64@example.com', p64);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await loginOk(base, 'long64@example.com', p64);
  assert.equal((await login(base, 'long64@example.com', p64.slice(0, 63))).status, 400);

  // bcrypt: more than 72 bytes is an explicit max-length error.
  const p200 = randomPassword(200);
  r = await register(base, 'long200@example.com', p200);
  assert.equal(r.status, 400, JSON.stringify(r.body));
  const msg = nodeMessages(r.body, 'password');
  assert.equal(msg[0]?.id, 4000033, JSON.stringify(msg));
  assert.deepEqual(await identitiesWith(base, 'long200@example.com'), []);

  // argon2: accepted whole; its first 72 characters are not the password.
  await withServer({ env: ARGON2_ENV }, async (s) => {
    const created = await register(s, 'long200@example.com', p200);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal((await login(s, 'long200@example.com', p200.slice(0, 72))).status, 400);
    assert.equal((await login(s, 'long200@example.com', p200.slice(0, 199))).status, 400);
    await loginOk(s, 'long200@example.com', p200);
  });
});

test('checklist 16: p1 and p1+"X" (both > 72 bytes) are different secrets', async () => {
  await withServer({ env: ARGON2_ENV }, async (s) => {
    const p1 = randomPassword(80);
    assert.equal((await register(s, 'p1@example.com', p1)).status, 200);
    const r = await login(s, 'p1@example.com', `${p1}X`);
    assert.equal(r.status, 400);
    assert.equal(r.body.ui.messages[0].id, 4000006);
    assert.equal((await login(s, 'p1@example.com', p1.slice(0, 72))).status, 400);
    await loginOk(s, 'p1@example.com', p1);
  });
  // Under bcrypt the same passwords never reach the hash (explicit 4000033).
  const r = await register(base, 'p1-bcrypt@example.com', `${randomPassword(80)}X`);
  assert.equal(nodeMessages(r.body, 'password')[0]?.id, 4000033);
});

async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

test('checklist 17: common passwords are refused from the local list, also with the breach service unreachable', async () => {
  const check = async (s, prefix) => {
    for (const [i, p] of ['password123', 'Password123'].entries()) {
      const r = await register(s, `${prefix}${i}@example.com`, p);
      assert.equal(r.status, 400, `${p}: ${JSON.stringify(r.body)}`);
      assert.equal(nodeMessages(r.body, 'password')[0]?.id, 4000034, p);
      assert.deepEqual(await identitiesWith(s, `${prefix}${i}@example.com`), []);
    }
  };
  await check(base, 'common');
  const port = await closedPort();
  await withServer({ password: `{haveibeenpwned_enabled: true, haveibeenpwned_host: "http://127.0.0.1:${port}"}` },
    async (s) => {
      await check(s, 'offline');
      const ok = await register(s, 'offline-ok@example.com', 'a long unique passphrase 17');
      assert.ok(ok.status < 500, JSON.stringify(ok.body));
    });
});

test('checklist 19: composed and decomposed Unicode passwords are the same password (NFKC)', async () => {
  const composed = 'caf\u00e9-au-lait-long-2024';
  const decomposed = 'cafe\u0301-au-lait-long-2024';
  assert.notEqual(composed, decomposed);
  const reg = await register(base, 'nfkc-a@example.com', composed);
  assert.equal(reg.status, 200, JSON.stringify(reg.body));
  assert.equal((await login(base, 'nfkc-a@example.com', decomposed)).status, 200);
  const reg2 = await register(base, 'nfkc-b@example.com', decomposed);
  assert.equal(reg2.status, 200, JSON.stringify(reg2.body));
  assert.equal((await login(base, 'nfkc-b@example.com', composed)).status, 200);
  assert.equal((await login(base, 'nfkc-b@example.com', 'cafe-au-lait-long-2024')).status, 400);
});

test('checklist 18: a password equal to or containing the e-mail local part is refused', async () => {
  const refused = async (email, password) => {
    const r = await register(base, email, password);
    assert.equal(r.status, 400, `${password} for ${email}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    assert.equal(nodeMessages(r.body, 'password')[0]?.id, 4000031, `${password}: ${JSON.stringify(nodeMessages(r.body, 'password'))}`);
    assert.deepEqual(await identitiesWith(base, email), []);
  };
  await refused('alice@example.com', 'alice@example.com');
  await refused('alice@example.com', 'alice2024');
  await refused('alice@example.com', 'alice2024xyz');
});



test('checklist 21: failed logins for one account back off with 429 + Retry-After; the right password works after the wait', async () => {
  await withServer({ extra: 'mneme: {throttle: {login: {free_failures: 3, base_delay: 1s, max_delay: 2s}}}' }, async (s) => {
    await adminCreate(s, 'victim@example.com', 'a long unique passphrase 21');
    const assert429 = (r, what) => {
      assert.equal(r.status, 429, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.id, 'rate_limit_exceeded');
      const ra = Number(r.headers.get('retry-after'));
      assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 2, `Retry-After ${r.headers.get('retry-after')}`);
      return ra;
    };
    // free_failures 3: failures 1-3 are free; failure 4 is the first that
    // delays the next attempt (docs/security-throttling.md).
    for (let i = 1; i <= 4; i++) {
      const r = await login(s, 'victim@example.com', `wrong password ${i}`);
      assert.equal(r.status, 400, `attempt ${i}`);
    }
    assert429(await login(s, 'victim@example.com', 'wrong password 5'), 'attempt 5');
    // The right password during the back-off is refused the same way (no oracle).
    const ra = assert429(await login(s, 'victim@example.com', 'a long unique passphrase 21'), 'right password during back-off');
    // The identifier's case does not reset the count.
    assert429(await login(s, 'VICTIM@example.com', 'wrong password 6'), 'same account, other case');
    // An unknown identifier is throttled on the same schedule.
    for (let i = 1; i <= 4; i++) assert.equal((await login(s, 'ghost@example.com', `guess ${i}`)).status, 400);
    assert429(await login(s, 'ghost@example.com', 'guess 5'), 'unknown identifier');
    await sleep(ra * 1000 + 150);
    const ok = await login(s, 'victim@example.com', 'a long unique passphrase 21');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.match(ok.body.session_token, TOKEN);
  });
});

// One request from a chosen local address (node:http, since fetch cannot bind).
function postFrom(localAddress, url, body, headers = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST',
      localAddress, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

test('checklist 22: one client is limited across accounts (429 + Retry-After); X-Forwarded-For only counts from trusted proxies', async () => {
  const body = (i) => ({ method: 'password', identifier: `user${i}@example.com`, password: 'wrong password 22' });
  await withServer({ extra: 'mneme: {throttle: {client: {burst: 5, per_second: 0.5}}}' }, async (s) => {
    const flows = [];
    for (let i = 0; i < 8; i++) flows.push((await apiFlow(s, 'login')).id);
    for (let i = 0; i < 5; i++) {
      const r = await apiPost(s, 'login', flows[i], body(i));
      assert.equal(r.status, 400, `submission ${i + 1}`);
    }
    const sixth = await apiPost(s, 'login', flows[5], body(5));
    assert.equal(sixth.status, 429, 'the 6th rapid submission');
    assert.equal(sixth.body.error.id, 'rate_limit_exceeded');
    const ra = Number(sixth.headers.get('retry-after'));
    assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 3, `Retry-After ${sixth.headers.get('retry-after')}`);
    // A spoofed X-Forwarded-For from an untrusted client changes nothing.
    const spoofed = await apiPost(s, 'login', flows[6], body(6), { 'X-Forwarded-For': '203.0.113.7' });
    assert.equal(spoofed.status, 429, 'X-Forwarded-For from an untrusted client is ignored');
    await sleep(ra * 1000 + 150);
    assert.equal((await apiPost(s, 'login', flows[7], body(7))).status, 400, 'allowed again after Retry-After');
  });
  await withServer({ extra: 'mneme: {throttle: {client: {burst: 5, per_second: 0.5}, trusted_proxies: [127.0.0.1/32]}}' }, async (s) => {
    const flows = [];
    for (let i = 0; i < 20; i++) flows.push((await apiFlow(s, 'login')).id);
    let f = 0;
    // 127.0.0.2 is not a trusted proxy: its X-Forwarded-For is ignored.
    for (let i = 0; i < 5; i++) {
      const r = await postFrom('127.0.0.2', `${s.publicUrl}/self-service/login?flow=${flows[f++]}`, body(f), { 'X-Forwarded-For': `192.0.2.${i}` });
      assert.equal(r.status, 400, `untrusted client, submission ${i + 1}`);
    }
    const r = await postFrom('127.0.0.2', `${s.publicUrl}/self-service/login?flow=${flows[f++]}`, body(f), { 'X-Forwarded-For': '192.0.2.99' });
    assert.equal(r.status, 429, 'rotating X-Forwarded-For from an untrusted peer does not escape the limit');
    assert.ok(Number(r.headers['retry-after']) >= 1);
    // Through the trusted proxy (127.0.0.1) each forwarded client has its own budget.
    const viaProxy = (xff) => apiPost(s, 'login', flows[f++], body(f), { 'X-Forwarded-For': xff });
    for (let i = 0; i < 5; i++) assert.equal((await viaProxy('198.51.100.1')).status, 400, `client 1, submission ${i + 1}`);
    assert.equal((await viaProxy('198.51.100.1')).status, 429, 'client 1, 6th submission');
    assert.equal((await viaProxy('198.51.100.2')).status, 400, 'client 2 (X-Forwarded-For: 198.51.100.2 via trusted 127.0.0.1) has its own budget');
    assert.equal((await viaProxy('203.0.113.50, 198.51.100.1')).status, 429, 'the rightmost untrusted entry is the client');
  });
});

test('checklist 47: return_to outside allowed_return_urls is refused on login, registration and logout', async () => {
  const evil = [EVIL, 'http://127.0.0.1:3000@evil.example/', 'http://127.0.0.1:3000.evil.example/',
    '//evil.example/', 'javascript:alert(1)', 'https://127.0.0.1:3000/'];
  for (const kind of ['login', 'registration']) {
    for (const url of evil) {
      const r = await fetch(`${base.publicUrl}/self-service/${kind}/browser?return_to=${encodeURIComponent(url)}`,
        { headers: { Accept: 'application/json' } });
      assert.equal(r.status, 400, `${kind} ${url}`);
      assert.equal((await r.json()).error.id, 'self_service_flow_return_to_forbidden', `${kind} ${url}`);
    }
    // A classic browser is not sent there either.
    const r = await fetch(`${base.publicUrl}/self-service/${kind}/browser?return_to=${encodeURIComponent(EVIL)}`, { redirect: 'manual' });
    assert.ok(!(r.headers.get('location') ?? '').startsWith(EVIL), `${kind}: ${r.headers.get('location')}`);
    // The API flow does not carry it either.
    const api = await fetch(`${base.publicUrl}/self-service/${kind}/api?return_to=${encodeURIComponent(EVIL)}`);
    if (api.status === 200) assert.ok(!JSON.stringify((await api.json()).return_to ?? '').includes('evil'));
  }
  // An allowed target is kept.
  const ok = await new Browser(base).initFlow('login', `?return_to=${encodeURIComponent('http://127.0.0.1:3000/after')}`);
  assert.equal(ok.return_to, 'http://127.0.0.1:3000/after');

  await adminCreate(base, 'return@example.com', 'a long unique passphrase 47');
  const b = await new Browser(base).warm();
  await b.spaLoginOk('return@example.com', 'a long unique passphrase 47');
  let r = await b.fetch(`/self-service/logout/browser?return_to=${encodeURIComponent(EVIL)}`);
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.id, 'self_service_flow_return_to_forbidden');
  const { logout_url: url } = await (await b.fetch('/self-service/logout/browser')).json();
  r = await b.fetch(`${url}&return_to=${encodeURIComponent(EVIL)}`, { headers: { Accept: 'application/json' } });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.id, 'self_service_flow_return_to_forbidden');
  assert.equal((await whoami(base, { cookie: b.session })).status, 200, 'the refused logout did not log out');
  r = await b.fetch(url);
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), 'http://127.0.0.1:3000/', 'the default return URL');
});

test('checklist 48: admin routes are not served on the public listener', async () => {
  const id = await adminCreate(base, 'adminsplit@example.com', 'a long unique passphrase 48');
  const { session } = await loginOk(base, 'adminsplit@example.com', 'a long unique passphrase 48');
  for (const [method, path] of [['GET', '/admin/identities'], ['GET', '/admin/sessions'],
    ['GET', `/admin/identities/${id.id}`], ['GET', `/admin/identities/${id.id}/sessions`],
    ['GET', `/admin/sessions/${session.id}`], ['DELETE', `/admin/identities/${id.id}`],
    ['DELETE', `/admin/sessions/${session.id}`], ['POST', '/admin/identities']]) {
    const r = await fetch(`${base.publicUrl}${path}`, { method,
      headers: { 'Content-Type': 'application/json' },
      body: method === 'POST' ? JSON.stringify({ schema_id: 'default', traits: { email: 'x48@example.com' } }) : undefined });
    assert.equal(r.status, 404, `${method} ${path}`);
    const text = await r.text();
    assert.ok(!text.includes('adminsplit@example.com'), `${method} ${path} leaked data`);
  }
  const still = await fetch(`${base.adminUrl}/admin/identities/${id.id}`);
  assert.equal(still.status, 200);
  assert.deepEqual(await identitiesWith(base, 'x48@example.com'), []);
  assert.equal(new URL(base.adminUrl).hostname, '127.0.0.1');
});


test('checklist 50: a session cannot revoke or read another identity\'s session', async () => {
  await adminCreate(base, 'owner-a@example.com', 'a long unique passphrase 50');
  await adminCreate(base, 'owner-b@example.com', 'a long unique passphrase 50');
  const a = await loginOk(base, 'owner-a@example.com', 'a long unique passphrase 50');
  const b = await loginOk(base, 'owner-b@example.com', 'a long unique passphrase 50');
  const asA = { 'X-Session-Token': a.session_token };
  let r = await fetch(`${base.publicUrl}/sessions/${b.session.id}`, { method: 'DELETE', headers: asA });
  assert.equal(r.status, 404);
  assert.equal((await whoami(base, { token: b.session_token })).status, 200, 'B\'s session survives');
  r = await fetch(`${base.publicUrl}/sessions`, { headers: asA });
  assert.equal(r.status, 200);
  assert.ok(!(await r.json()).some((s) => s.id === b.session.id), 'A does not see B\'s session');
  r = await fetch(`${base.publicUrl}/sessions`, { method: 'DELETE', headers: asA });
  assert.equal(r.status, 200);
  assert.equal((await whoami(base, { token: b.session_token })).status, 200, 'revoking A\'s other sessions spares B');
  assert.equal((await whoami(base, { token: a.session_token })).status, 200);
});

test('checklist 51: hostile bodies get 415 / 400 / 413, never 5xx', async () => {
  await adminCreate(base, 'bodies@example.com', 'a long unique passphrase 51');
  const post = async (kind, body, type = 'application/json') => {
    const flow = await apiFlow(base, kind);
    const r = await fetch(`${base.publicUrl}/self-service/${kind}?flow=${flow.id}`, {
      method: 'POST', headers: { 'Content-Type': type, Accept: 'application/json' }, body });
    const text = await r.text();
    assert.ok(r.status < 500, `${kind} ${type} ${body.slice(0, 40)}: ${r.status} ${text.slice(0, 200)}`);
    return { status: r.status, text };
  };
  const login = JSON.stringify({ method: 'password', identifier: 'bodies@example.com', password: 'a long unique passphrase 51' });
  for (const kind of ['login', 'registration']) {
    assert.equal((await post(kind, login, 'text/plain')).status, 415, `${kind} text/plain`);
    assert.equal((await post(kind, `{"a":"${'x'.repeat(10 * 1024 * 1024)}"}`)).status, 413, `${kind} 10 MB`);
    assert.equal((await post(kind, `{"a":${'['.repeat(100)}${']'.repeat(100)}}`)).status, 400, `${kind} 100 deep`);
    assert.equal((await post(kind, '{"method": "password", ')).status, 400, `${kind} truncated JSON`);
    assert.equal((await post(kind, '["method"]')).status, 400, `${kind} not an object`);
  }
  // Unknown top-level fields are ignored (or refused), never a crash.
  const extra = await post('login', JSON.stringify({ ...JSON.parse(login), state: 'inactive', admin: true, __proto__x: 1 }));
  assert.ok([200, 400].includes(extra.status), extra.text);
  // The SPA (browser) flow answers 415 as JSON too.
  const b = await new Browser(base).warm();
  const flow = await b.initFlow('login');
  const r = await b.fetch(`/self-service/login?flow=${flow.id}`, { method: 'POST',
    headers: { 'Content-Type': 'text/plain', Accept: 'application/json' }, body: 'csrf_token=x' });
  assert.equal(r.status, 415);
  // Still alive.
  assert.equal((await fetch(`${base.publicUrl}/health/alive`)).status, 200);
});
