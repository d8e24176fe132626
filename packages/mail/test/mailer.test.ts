import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevInbox } from '../src/dev-inbox.js';
import { startDevInbox } from '../src/dev-inbox.js';
import { createMailer } from '../src/mailer.js';
import { isPermanentSmtpError } from '../src/smtp-error.js';
import { closedPort, smtpError, startSmtpServer } from './smtp-helpers.js';

const FROM = 'Tollgate <no-reply@tollgate.test>';

function message(overrides: { messageId: string; to?: string }) {
  return {
    to: overrides.to ?? 'ada@acme.test',
    subject: 'Payment received — $49.00',
    html: '<p>Thanks for your <strong>payment</strong></p>',
    text: 'Thanks for your payment',
    messageId: overrides.messageId,
    headers: { 'X-Tollgate-Email-Kind': 'payment_succeeded' },
  };
}

describe('createMailer against the dev inbox', () => {
  let inbox: DevInbox;
  beforeAll(async () => {
    inbox = await startDevInbox();
  });
  afterAll(async () => {
    await inbox.close();
  });

  it('verifies the connection', async () => {
    const mailer = createMailer({ smtpUrl: inbox.url, from: FROM });
    await expect(mailer.verify()).resolves.toBeUndefined();
    mailer.close();
  });

  it('delivers to, subject, both parts and the caller-chosen Message-ID', async () => {
    const mailer = createMailer({ smtpUrl: inbox.url, from: FROM });
    const result = await mailer.send(message({ messageId: '<outbox-1@tollgate>' }));
    mailer.close();

    expect(result.accepted).toEqual(['ada@acme.test']);
    expect(result.rejected).toEqual([]);
    expect(result.response).toMatch(/^250/);
    const received = await inbox.waitFor((m) => m.messageId === '<outbox-1@tollgate>');
    expect(received.to).toEqual(['ada@acme.test']);
    expect(received.from).toBe('no-reply@tollgate.test');
    expect(received.subject).toBe('Payment received — $49.00');
    expect(received.html).toBe('<p>Thanks for your <strong>payment</strong></p>');
    expect(received.text.trim()).toBe('Thanks for your payment');
  });

  it('sends the same Message-ID on a retry of the same message', async () => {
    const mailer = createMailer({ smtpUrl: inbox.url, from: FROM });
    await mailer.send(message({ messageId: '<outbox-2@tollgate>' }));
    await mailer.send(message({ messageId: '<outbox-2@tollgate>' }));
    mailer.close();
    const copies = inbox.messages().filter((m) => m.messageId === '<outbox-2@tollgate>');
    expect(copies).toHaveLength(2);
  });
});

describe('isPermanentSmtpError on real failures', () => {
  it('is true when the server rejects the recipient with 550', async () => {
    const server = await startSmtpServer({
      onRcptTo(_address, _session, callback) {
        callback(smtpError('Mailbox unavailable', 550));
      },
    });
    const mailer = createMailer({ smtpUrl: server.url, from: FROM });
    const error = await mailer.send(message({ messageId: '<outbox-3@tollgate>' })).catch((e: unknown) => e);
    mailer.close();
    await server.close();
    expect(error).toMatchObject({ responseCode: 550 });
    expect(isPermanentSmtpError(error)).toBe(true);
  });

  it('is false when the server defers the recipient with 450', async () => {
    const server = await startSmtpServer({
      onRcptTo(_address, _session, callback) {
        callback(smtpError('Try again later', 450));
      },
    });
    const mailer = createMailer({ smtpUrl: server.url, from: FROM });
    const error = await mailer.send(message({ messageId: '<outbox-4@tollgate>' })).catch((e: unknown) => e);
    mailer.close();
    await server.close();
    expect(error).toMatchObject({ responseCode: 450 });
    expect(isPermanentSmtpError(error)).toBe(false);
  });

  it('is false when nothing listens on the port', async () => {
    const port = await closedPort();
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM });
    const error = await mailer.send(message({ messageId: '<outbox-5@tollgate>' })).catch((e: unknown) => e);
    mailer.close();
    expect(error).toMatchObject({ code: 'ESOCKET' });
    expect(isPermanentSmtpError(error)).toBe(false);
  });
});

describe('isPermanentSmtpError classification', () => {
  it.each([
    [{ responseCode: 550, command: 'RCPT TO' }, true],
    [{ responseCode: 553, code: 'EENVELOPE', command: 'RCPT TO' }, true],
    [{ responseCode: 554, code: 'EMESSAGE', command: 'DATA' }, true],
    [{ responseCode: 421, code: 'EENVELOPE' }, false],
    [{ responseCode: 451 }, false],
    [{ code: 'EENVELOPE' }, true],
    [{ code: 'ECONNECTION' }, false],
    [{ code: 'ETIMEDOUT' }, false],
    [new Error('boom'), false],
    [null, false],
    ['550 string', false],
  ])('%o → %s', (error, expected) => {
    expect(isPermanentSmtpError(error)).toBe(expected);
  });
});
