import type { SMTPServerOptions } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { createMailer } from '../src/mailer.js';
import { isPermanentSmtpError } from '../src/smtp-error.js';
import { smtpError, startSmtpServer } from './smtp-helpers.js';

const FROM = 'Tollgate <no-reply@tollgate.test>';

/** The error a real send gets from an smtp-server set up with `options`, logging in as `user:secret`. */
async function sendError(options: SMTPServerOptions): Promise<unknown> {
  const server = await startSmtpServer({ allowInsecureAuth: true, ...options });
  const mailer = createMailer({ smtpUrl: server.url.replace('smtp://', 'smtp://user:secret@'), from: FROM });
  try {
    return await mailer
      .send({
        to: 'ada@acme.test',
        subject: 'Verify your email address',
        html: '<p>Verify</p>',
        text: 'Verify',
        messageId: '<outbox-1@tollgate>',
      })
      .then(() => expect.unreachable('the send should have failed'))
      .catch((error: unknown) => error);
  } finally {
    mailer.close();
    await server.close();
  }
}

describe('isPermanentSmtpError on failures of a real SMTP session', () => {
  it('is false when AUTH is refused with 535 (rotated or expired credentials)', async () => {
    const error = await sendError({
      onAuth(_auth, _session, callback) {
        callback(smtpError('Authentication credentials invalid', 535));
      },
    });
    expect(error).toMatchObject({ code: 'EAUTH', responseCode: 535 });
    expect(isPermanentSmtpError(error)).toBe(false);
  });

  it('is false when the greeting is a 554 refusal', async () => {
    const error = await sendError({
      onConnect(_session, callback) {
        callback(smtpError('No service for you', 554));
      },
    });
    expect(error).toMatchObject({ responseCode: 554 });
    expect(isPermanentSmtpError(error)).toBe(false);
  });

  it.each([530, 554])(
    'is false when MAIL FROM is refused with %i (our sender, not the recipient)',
    async (reply) => {
      const error = await sendError({
        onAuth(_auth, _session, callback) {
          callback(null, { user: 'user' });
        },
        onMailFrom(_address, _session, callback) {
          callback(smtpError('Sender not accepted', reply));
        },
      });
      expect(error).toMatchObject({ code: 'EENVELOPE', responseCode: reply, command: 'MAIL FROM' });
      expect(isPermanentSmtpError(error)).toBe(false);
    },
  );

  it('is true when RCPT TO is refused with 550', async () => {
    const error = await sendError({
      onAuth(_auth, _session, callback) {
        callback(null, { user: 'user' });
      },
      onRcptTo(_address, _session, callback) {
        callback(smtpError('Mailbox unavailable', 550));
      },
    });
    expect(error).toMatchObject({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' });
    expect(isPermanentSmtpError(error)).toBe(true);
  });

  it('is true when the message is refused with 554 after DATA', async () => {
    const error = await sendError({
      onAuth(_auth, _session, callback) {
        callback(null, { user: 'user' });
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback(smtpError('Message content rejected', 554)));
      },
    });
    expect(error).toMatchObject({ code: 'EMESSAGE', responseCode: 554, command: 'DATA' });
    expect(isPermanentSmtpError(error)).toBe(true);
  });
});

describe('isPermanentSmtpError by nodemailer error fields', () => {
  it.each([
    // About the recipient or the message: retrying the same message gets the same answer.
    [{ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }, true],
    [{ code: 'EENVELOPE', responseCode: 553, command: 'RCPT TO' }, true],
    [{ code: 'EENVELOPE', responseCode: 554, command: 'DATA' }, true],
    [{ code: 'EMESSAGE', responseCode: 552, command: 'DATA' }, true],
    [{ code: 'EENVELOPE', command: 'API' }, true],
    // About our session: fixed on our side, then the same message goes through.
    [{ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }, false],
    [{ code: 'EAUTH', responseCode: 535, command: 'AUTH LOGIN' }, false],
    [{ code: 'EAUTH', responseCode: 530, command: 'AUTH PLAIN' }, false],
    [{ code: 'EAUTH', responseCode: 554, command: 'AUTH PLAIN' }, false],
    [{ code: 'EAUTH', command: 'API' }, false],
    [{ code: 'EENVELOPE', responseCode: 530, command: 'MAIL FROM' }, false],
    [{ code: 'EENVELOPE', responseCode: 554, command: 'MAIL FROM' }, false],
    [{ code: 'EENVELOPE', responseCode: 553, command: 'MAIL FROM' }, false],
    [{ code: 'EPROTOCOL', responseCode: 554, command: 'CONN' }, false],
    [{ code: 'ECONNECTION', responseCode: 554, command: 'CONN' }, false],
    [{ code: 'EPROTOCOL', responseCode: 500, command: 'HELO' }, false],
    [{ code: 'ECONNECTION', responseCode: 521, command: 'EHLO' }, false],
    [{ code: 'EENVELOPE', responseCode: 503, command: 'RCPT TO' }, false],
    // Transient by definition.
    [{ code: 'EENVELOPE', responseCode: 450, command: 'RCPT TO' }, false],
    [{ code: 'EMESSAGE', responseCode: 451, command: 'DATA' }, false],
    [{ code: 'ECONNECTION', command: 'CONN' }, false],
    [{ code: 'ETIMEDOUT', command: 'CONN' }, false],
    [{ code: 'ESOCKET', command: 'CONN' }, false],
    [{ code: 'EDNS', command: 'CONN' }, false],
    [{ code: 'ETLS', command: 'STARTTLS' }, false],
    [{ responseCode: 550 }, false],
    [undefined, false],
  ])('%o → %s', (error, expected) => {
    expect(isPermanentSmtpError(error)).toBe(expected);
  });
});
