import { randomUUID } from 'node:crypto';
import type { InboxMessage } from '@tollgate/mail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, trpc, type Tokens } from '../support/http';
import { mailTo } from '../support/mailbox';
import { startTestServer, type TestServer } from '../support/test-server';

// Usage alerts and reminders carry RFC 8058 one-click unsubscribe headers; mail a user can't switch
// off (verification, receipts) carries none. The link is signed: it switches off one category for
// one user, and nothing else.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ EMAIL_OUTBOX_INTERVAL_MS: '0', NOTIFICATION_CLOCK_INTERVAL_SECONDS: '0' });
});
afterAll(() => server?.stop());

/** `count` FREE runs; the usage alerts are checked after the answers: wait for that check. */
async function runs(user: Tokens, count: number) {
  for (let i = 0; i < count; i += 1) {
    await trpc(server.url, 'mutation', 'usage.authorize', { runId: randomUUID() }, user.accessToken);
  }
  await server.services.usageAlerts.settled();
}

async function messageTo(user: Tokens, subject: RegExp): Promise<InboxMessage> {
  const messages = await mailTo(server, user.user.email ?? '');
  const message = messages.find((candidate) => subject.test(candidate.subject));
  if (!message) throw new Error(`no message ${subject} in ${messages.map((m) => m.subject).join(', ')}`);
  return message;
}

/** The List-Unsubscribe link, on this server (the header names the web app's origin, APP_URL). */
function unsubscribeUrlOf(message: InboxMessage): URL {
  const header = message.headers['list-unsubscribe'] ?? '';
  const match = /^<([^>]+)>$/.exec(header);
  expect(match, header).not.toBeNull();
  const link = new URL(match?.[1] ?? '');
  expect(link.pathname).toBe('/api/v1/notifications/unsubscribe');
  return new URL(`${link.pathname}${link.search}`, server.url);
}

/** What a mail client sends for the one-click button. */
function oneClick(url: URL | string) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
}

const preferencesOf = async (user: Tokens) =>
  (await trpc(server.url, 'query', 'notifications.preferences', undefined, user.accessToken)).data;

describe('one-click unsubscribe', () => {
  it('a usage alert carries it; a click switches its email off (in-app stays), and the next alert is not mailed', async () => {
    const user = await registerUser(server.url);
    await runs(user, 8);
    const alert = await messageTo(user, /80% of your runs/);
    expect(alert.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const url = unsubscribeUrlOf(alert);
    // Mail a user can't switch off has no such header.
    expect((await messageTo(user, /^Verify/)).headers['list-unsubscribe']).toBeUndefined();

    // A GET (a link scanner, a preview) only shows the button.
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    expect((await preferencesOf(user)).usageAlerts).toEqual({ email: true, inApp: true });

    const clicked = await oneClick(url);
    expect(clicked.status).toBe(200);
    expect(await clicked.text()).toContain("You won't get usage alert emails any more");
    expect(await preferencesOf(user)).toEqual({
      usageAlerts: { email: false, inApp: true },
      reminders: { email: true, inApp: true },
    });
    expect((await oneClick(url)).status).toBe(200); // again: the same

    await runs(user, 2);
    const subjects = (await mailTo(server, user.user.email ?? '')).map((message) => message.subject);
    expect(subjects.filter((subject) => /runs/.test(subject))).toEqual(["You've used 80% of your runs"]);
    const bell = await trpc(server.url, 'query', 'notifications.list', undefined, user.accessToken);
    expect(bell.data.items.map((item: { title: string }) => item.title)).toContain(
      "You've used all your runs",
    );
  });

  it('a tampered link changes nothing: another user, another category, a bad signature, no token', async () => {
    const victim = await registerUser(server.url);
    const attacker = await registerUser(server.url);
    await runs(attacker, 8);
    const url = unsubscribeUrlOf(await messageTo(attacker, /80% of your runs/));
    const [user, category, signature] = (url.searchParams.get('token') ?? '').split('.');
    const withToken = (token: string) => {
      const forged = new URL(url);
      forged.searchParams.set('token', token);
      return forged;
    };
    const victimPart = Buffer.from(victim.user.id).toString('base64url');
    const forgeries = [
      withToken(`${victimPart}.${category}.${signature}`),
      withToken(`${user}.reminders.${signature}`),
      withToken(`${user}.transactional.${signature}`),
      withToken(`${user}.${category}.${'A'.repeat(43)}`),
      withToken(`${user}.${category}`),
      withToken('x'.repeat(600)),
      new URL(url.pathname, server.url),
    ];
    for (const forged of forgeries) {
      const answer = await oneClick(forged);
      expect([forged.search, answer.status]).toEqual([forged.search, 400]);
      expect((await fetch(forged)).status).toBe(400);
    }
    const untouched = { usageAlerts: { email: true, inApp: true }, reminders: { email: true, inApp: true } };
    expect(await preferencesOf(victim)).toEqual(untouched);
    expect(await preferencesOf(attacker)).toEqual(untouched);
  });
});
