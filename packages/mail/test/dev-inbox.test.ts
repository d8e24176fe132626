import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { DevInbox } from '../src/dev-inbox.js';
import { startDevInbox } from '../src/dev-inbox.js';
import { createMailer } from '../src/mailer.js';
import { RawSmtpClient, rawMessage, startTransaction } from './raw-smtp-client.js';

const FROM = 'no-reply@tollgate.test';
let inbox: DevInbox | null = null;

afterEach(async () => {
  await inbox?.close();
  inbox = null;
});

async function send(target: DevInbox, messageId: string, subject = 'Hello'): Promise<void> {
  const mailer = createMailer({ smtpUrl: target.url, from: FROM });
  await mailer.send({ to: 'ada@acme.test', subject, html: '<p>hi</p>', text: 'hi', messageId });
  mailer.close();
}

describe('startDevInbox', () => {
  it('listens on a random local port and reports its URL', async () => {
    inbox = await startDevInbox();
    expect(inbox.port).toBeGreaterThan(0);
    expect(inbox.url).toBe(`smtp://127.0.0.1:${inbox.port}`);
  });

  it('stores messages in arrival order and clears them', async () => {
    inbox = await startDevInbox();
    await send(inbox, '<a@t>', 'First');
    await send(inbox, '<b@t>', 'Second');
    const messages = inbox.messages();
    expect(messages.map((m) => m.subject)).toEqual(['First', 'Second']);
    expect(messages.map((m) => m.id)).toEqual(['1', '2']);
    expect(messages[0]?.receivedAt).toBeInstanceOf(Date);
    expect(messages[0]?.date).toBeInstanceOf(Date);
    inbox.clear();
    expect(inbox.messages()).toEqual([]);
  });

  it('keeps only the last maxMessages', async () => {
    inbox = await startDevInbox({ maxMessages: 2 });
    for (const id of ['<1@t>', '<2@t>', '<3@t>']) await send(inbox, id);
    expect(inbox.messages().map((m) => m.messageId)).toEqual(['<2@t>', '<3@t>']);
  });

  it('waitFor resolves with a message that arrives later', async () => {
    inbox = await startDevInbox();
    const waiting = inbox.waitFor((m) => m.subject === 'Later', { timeoutMs: 2_000 });
    await send(inbox, '<x@t>', 'Sooner');
    await send(inbox, '<y@t>', 'Later');
    await expect(waiting).resolves.toMatchObject({ messageId: '<y@t>' });
  });

  it('waitFor resolves at once with a message already there', async () => {
    inbox = await startDevInbox();
    await send(inbox, '<z@t>', 'Already');
    await expect(inbox.waitFor((m) => m.subject === 'Already', { timeoutMs: 1 })).resolves.toBeDefined();
  });

  it('waitFor rejects after the timeout', async () => {
    inbox = await startDevInbox();
    await expect(inbox.waitFor(() => false, { timeoutMs: 50 })).rejects.toThrow(/within 50 ms/);
  });
});

describe('startDevInbox with acceptDelayMs', () => {
  it('stores a message once it has answered 250', async () => {
    inbox = await startDevInbox({ acceptDelayMs: 200 });
    const client = await RawSmtpClient.connect(inbox.port);
    await startTransaction(client);
    client.sendBody(rawMessage('<kept@t>'));
    expect(await client.reply()).toMatch(/^250 /);
    client.destroy();
    expect(inbox.messages().map((m) => m.messageId)).toEqual(['<kept@t>']);
  });

  it('does not store a message whose client hung up before the 250', async () => {
    // A long delay: the hang-up must reach the server before the delay ends, also on a loaded machine.
    inbox = await startDevInbox({ acceptDelayMs: 2_000 });
    const client = await RawSmtpClient.connect(inbox.port);
    await startTransaction(client);
    client.sendBody(rawMessage('<dropped@t>'));
    // The whole message is in; the server is now sitting in the accept delay.
    await sleep(100);
    client.destroy();
    await sleep(2_500);
    expect(inbox.messages()).toEqual([]);

    // The server is unharmed and the next delivery is stored.
    await send(inbox, '<after@t>');
    expect(inbox.messages().map((m) => m.messageId)).toEqual(['<after@t>']);
  });
});
