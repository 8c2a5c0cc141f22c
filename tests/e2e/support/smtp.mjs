// An SMTP sink for end-to-end tests of the courier: a real SMTP server
// (smtp-server) on 127.0.0.1 and a port picked by the OS, every accepted mail
// parsed with mailparser and kept in memory for the test to read.
//
//   const sink = await startSmtpSink();
//   ... start mneme with courier.smtp.connection_uri: sink.url ...
//   const mail = await sink.waitFor((m) => m.to.includes(addr));
//   codeIn(mail)  -> '123456';  linksIn(mail) -> ['http://...']
//   await sink.stop();
//
// Options:
//   failFirst: n        answer 451 (temporary failure) to the first n messages,
//                       after their DATA, so a courier has to retry them.
//   rejectRcpt          (address, session) => bool, or an array of addresses:
//                       answer 550 to RCPT TO for those recipients.
//   auth: {user, pass}  require AUTH (PLAIN or LOGIN) with these credentials;
//                       `url` then carries them. Without it AUTH is optional.
//   disableStarttls     default true: STARTTLS is not offered (the URL says
//                       ?disable_starttls=true, as Kratos needs for plain SMTP).
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export async function startSmtpSink({ failFirst = 0, rejectRcpt, auth, disableStarttls = true } = {}) {
  const mails = [];
  const stats = { connections: 0, dataCommands: 0, rejectedData: 0, rejectedRcpt: 0, authFailures: 0 };
  const waiters = new Set();
  const rejects = typeof rejectRcpt === 'function'
    ? rejectRcpt
    : Array.isArray(rejectRcpt)
      ? (address) => rejectRcpt.map((a) => a.toLowerCase()).includes(address.toLowerCase())
      : () => false;

  const smtpError = (code, text) => Object.assign(new Error(text), { responseCode: code });

  const notify = () => {
    for (const w of [...waiters]) w.check();
  };

  const server = new SMTPServer({
    logger: false,
    banner: 'mneme e2e smtp sink',
    disableReverseLookup: true,
    closeTimeout: 500,
    size: 10 * 1024 * 1024,
    authOptional: !auth,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    disabledCommands: disableStarttls ? ['STARTTLS'] : [],
    onConnect(session, callback) {
      stats.connections += 1;
      callback();
    },
    onAuth(a, session, callback) {
      if (auth && a.username === auth.user && a.password === auth.pass) {
        callback(null, { user: a.username });
        return;
      }
      stats.authFailures += 1;
      callback(smtpError(535, 'Authentication credentials invalid'));
    },
    onRcptTo(address, session, callback) {
      if (rejects(address.address, session)) {
        stats.rejectedRcpt += 1;
        callback(smtpError(550, `Mailbox unavailable: ${address.address}`));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      stats.dataCommands += 1;
      const fail = stats.dataCommands <= failFirst;
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('error', (err) => callback(err));
      stream.on('end', async () => {
        if (fail) {
          stats.rejectedData += 1;
          callback(smtpError(451, 'Temporary local problem, please try again'));
          return;
        }
        const raw = Buffer.concat(chunks);
        try {
          const parsed = await simpleParser(raw);
          mails.push({
            messageId: parsed.messageId,
            from: parsed.from?.value?.[0]?.address,
            fromName: parsed.from?.value?.[0]?.name,
            to: (parsed.to ? [].concat(parsed.to).flatMap((t) => t.value) : []).map((a) => a.address),
            subject: parsed.subject,
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            headers: Object.fromEntries(parsed.headers),
            envelope: {
              mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
            },
            authUser: session.user ?? null,
            receivedAt: new Date(),
            raw: raw.toString('utf8'),
          });
          callback();
          notify();
        } catch (err) {
          callback(smtpError(554, `Message could not be parsed: ${err.message}`));
        }
      });
    },
  });

  // A client that vanishes mid-session (a courier killed with SIGKILL) resets
  // its connection; smtp-server reports that as an 'error' event, which must
  // not become an uncaught exception of the test process.
  const connectionErrors = [];
  server.on('error', (err) => connectionErrors.push(err));
  await new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { server.server.off('error', reject); resolve(); });
  });
  const { port } = server.server.address();
  const creds = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : '';
  const url = `smtp://${creds}127.0.0.1:${port}/${disableStarttls ? '?disable_starttls=true' : ''}`;

  const summary = () => mails.map((m) => `  ${m.to.join(',')}: ${m.subject}`).join('\n') || '  (none)';

  // Resolves with the first mail (already received or arriving later) for
  // which `predicate` is true; rejects after timeoutMs.
  function waitFor(predicate = () => true, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const w = {
        check() {
          const found = mails.find(predicate);
          if (found) { done(); resolve(found); }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`smtp sink: no matching mail within ${timeoutMs} ms; received:\n${summary()}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); waiters.delete(w); };
      waiters.add(w);
      w.check();
    });
  }

  // Resolves with the matching mails once there are at least n of them.
  function waitForCount(n, timeoutMs = 10000, predicate = () => true) {
    return new Promise((resolve, reject) => {
      const w = {
        check() {
          const found = mails.filter(predicate);
          if (found.length >= n) { done(); resolve(found); }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`smtp sink: ${mails.filter(predicate).length} of ${n} mails within ${timeoutMs} ms; received:\n${summary()}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); waiters.delete(w); };
      waiters.add(w);
      w.check();
    });
  }

  return {
    port,
    url,
    mails,
    stats,
    connectionErrors,
    waitFor,
    waitForCount,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// The one-time code in a mail: the first standalone group of 6 digits in the
// plaintext part (Kratos's templates put it on a line of its own).
export function codeIn(mail) {
  const m = /(?:^|\s)(\d{6})(?=\s|$)/.exec(mail.text);
  if (!m) throw new Error(`no 6-digit code in mail "${mail.subject}":\n${mail.text}`);
  return m[1];
}

// Every http(s) URL in the plaintext part, in order.
export function linksIn(mail) {
  return [...mail.text.matchAll(/https?:\/\/[^\s<>"']+/g)].map((m) => m[0]);
}
