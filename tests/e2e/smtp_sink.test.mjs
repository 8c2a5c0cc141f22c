// Self-test of the SMTP sink used by the courier tests (support/smtp.mjs):
// mails sent with nodemailer (a dependency of smtp-server and mailparser)
// are captured and parsed; failFirst, rejectRcpt and auth behave as the
// courier tests expect. Needs no mneme binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from 'nodemailer';
import { startSmtpSink, codeIn, linksIn } from './support/smtp.mjs';

const transport = (sink, auth) => createTransport({
  host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true, auth,
  connectionTimeout: 5000, socketTimeout: 5000,
});

const message = (to, extra = {}) => ({
  from: '"Mneme" <no-reply@mneme.test>',
  to,
  subject: 'Recover access to your account',
  text: 'Hi,\n\nplease recover access to your account by entering the following code:\n\n123456\n\nor open http://127.0.0.1:4433/self-service/recovery?flow=f&token=t\n',
  html: '<p>Hi, <b>123456</b></p>',
  ...extra,
});

test('a mail is captured with its envelope, headers, text and html', async () => {
  const sink = await startSmtpSink();
  try {
    assert.equal(sink.url, `smtp://127.0.0.1:${sink.port}/?disable_starttls=true`);
    const later = sink.waitFor((m) => m.to.includes('alice@example.com'));
    const info = await transport(sink).sendMail(message('alice@example.com', { headers: { 'X-Test': 'yes' } }));
    const mail = await later;
    assert.equal(sink.mails.length, 1);
    assert.equal(mail.messageId, info.messageId);
    assert.equal(mail.from, 'no-reply@mneme.test');
    assert.equal(mail.fromName, 'Mneme');
    assert.deepEqual(mail.to, ['alice@example.com']);
    assert.equal(mail.subject, 'Recover access to your account');
    assert.match(mail.text, /following code:\n\n123456\n/);
    assert.equal(mail.html, '<p>Hi, <b>123456</b></p>');
    assert.equal(mail.headers['x-test'], 'yes');
    assert.deepEqual(mail.envelope, { mailFrom: 'no-reply@mneme.test', rcptTo: ['alice@example.com'] });
    assert.equal(mail.authUser, null);
    assert.equal(codeIn(mail), '123456');
    assert.deepEqual(linksIn(mail), ['http://127.0.0.1:4433/self-service/recovery?flow=f&token=t']);
    assert.equal((await sink.waitForCount(1)).length, 1);
  } finally {
    await sink.stop();
  }
});

test('failFirst answers 451 to the first messages, then accepts', async () => {
  const sink = await startSmtpSink({ failFirst: 2 });
  try {
    const t = transport(sink);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(t.sendMail(message('bob@example.com')), (err) => err.responseCode === 451);
    }
    await t.sendMail(message('bob@example.com'));
    assert.equal(sink.mails.length, 1);
    assert.equal(sink.stats.dataCommands, 3);
    assert.equal(sink.stats.rejectedData, 2);
  } finally {
    await sink.stop();
  }
});

test('rejectRcpt answers 550 for the listed recipients only', async () => {
  const sink = await startSmtpSink({ rejectRcpt: (a) => a.startsWith('bounce-') });
  try {
    const t = transport(sink);
    await assert.rejects(t.sendMail(message('bounce-1@example.com')), (err) => err.responseCode === 550);
    await t.sendMail(message('carol@example.com'));
    assert.deepEqual(sink.mails.map((m) => m.to[0]), ['carol@example.com']);
    assert.equal(sink.stats.rejectedRcpt, 1);
  } finally {
    await sink.stop();
  }
});

test('auth: required when configured, and the URL carries the credentials', async () => {
  const sink = await startSmtpSink({ auth: { user: 'courier', pass: 's3cr:t' } });
  try {
    assert.equal(sink.url, `smtp://courier:s3cr%3At@127.0.0.1:${sink.port}/?disable_starttls=true`);
    await assert.rejects(transport(sink).sendMail(message('dave@example.com')), (err) => err.responseCode === 530);
    await assert.rejects(transport(sink, { user: 'courier', pass: 'wrong' }).sendMail(message('dave@example.com')),
      (err) => err.responseCode === 535);
    await transport(sink, { user: 'courier', pass: 's3cr:t' }).sendMail(message('dave@example.com'));
    assert.equal(sink.mails.length, 1);
    assert.equal(sink.mails[0].authUser, 'courier');
    assert.equal(sink.stats.authFailures, 1);
  } finally {
    await sink.stop();
  }
});

test('waitFor times out with a summary; waitForCount waits for later mails', async () => {
  const sink = await startSmtpSink();
  try {
    await assert.rejects(sink.waitFor((m) => m.subject === 'never', 200), /no matching mail within 200 ms/);
    const two = sink.waitForCount(2, 5000, (m) => m.to.includes('erin@example.com'));
    const t = transport(sink);
    await t.sendMail(message('erin@example.com'));
    await t.sendMail(message('frank@example.com'));
    await t.sendMail(message('erin@example.com', { subject: 'second' }));
    const got = await two;
    assert.deepEqual(got.map((m) => m.subject), ['Recover access to your account', 'second']);
  } finally {
    await sink.stop();
  }
});
