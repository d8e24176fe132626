import { randomUUID } from 'node:crypto';
import { personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerUser, trpc, type Tokens } from '../support/http';
import { subjectsTo } from '../support/mailbox';
import { registerOperator } from '../support/operators';
import { startTestServer, type TestServer } from '../support/test-server';
import { ACCOUNT_HEADER, addMembers, createTeam, givePool } from '../teams/team-support';

let server: TestServer;
beforeAll(async () => {
  // A wide batch window: concurrent authorizations are decided in one statement.
  server = await startTestServer({
    AUTHORIZE_BATCH_WINDOW_MS: '20',
    EMAIL_OUTBOX_INTERVAL_MS: '0',
    NOTIFICATION_CLOCK_INTERVAL_SECONDS: '0',
  });
});
afterAll(() => server?.stop());

let user: Tokens;
let email: string;
beforeEach(async () => {
  user = await registerUser(server.url);
  email = user.user.email ?? '';
});

const call = (kind: 'query' | 'mutation', path: string, input?: unknown, token = user.accessToken) =>
  trpc(server.url, kind, path, input, token);

/** `count` FREE runs at once; the alerts are checked after the answers: wait for that check. */
async function runsAtOnce(count: number, token = user.accessToken, headers: Record<string, string> = {}) {
  const answers = await Promise.all(
    Array.from({ length: count }, () =>
      trpc(server.url, 'mutation', 'usage.authorize', { runId: randomUUID() }, token, headers),
    ),
  );
  await server.services.usageAlerts.settled();
  return answers.map((answer) => answer.status);
}

const usageSubjects = async (address = email) =>
  (await subjectsTo(server, address)).filter((subject) => /runs/.test(subject));

describe('usage alerts', () => {
  it('one batch crossing 80 % and 100 % sends both alerts, each once, by email and in the bell', async () => {
    expect(await runsAtOnce(10)).toEqual(Array(10).fill(200));
    expect(await runsAtOnce(3)).toEqual([402, 402, 402]);
    await server.services.usageAlerts.sweep(); // the periodic pass owes nothing more
    expect((await usageSubjects()).sort()).toEqual([
      "You've used 80% of your runs",
      "You've used all your runs",
    ]);
    const bell = await call('query', 'notifications.list');
    expect(bell.data.unreadCount).toBe(2);
    expect(bell.data.items.map((item: { title: string }) => item.title).sort()).toEqual([
      "You've used 80% of your runs",
      "You've used all your runs",
    ]);
    expect(bell.data.items.every((item: { link: string }) => item.link === '/settings/subscription')).toBe(
      true,
    );
  });

  it('per-account thresholds: a percent and a number of runs remaining', async () => {
    const set = await call('mutation', 'usage.setAlertSettings', { percents: [50], runsRemaining: 2 });
    expect(set.data).toEqual({ percents: [50], runsRemaining: 2 });
    await runsAtOnce(5);
    expect(await usageSubjects()).toEqual(["You've used 50% of your runs"]);
    await runsAtOnce(3);
    expect(await usageSubjects()).toEqual(["You've used 50% of your runs", 'Only 2 runs left']);
  });

  it('thresholds set after usage passed them: the periodic pass sends what the hot path never saw, once', async () => {
    await runsAtOnce(6);
    expect(await usageSubjects()).toEqual([]);
    await call('mutation', 'usage.setAlertSettings', { percents: [50], runsRemaining: null });
    await server.services.usageAlerts.sweep();
    await server.services.usageAlerts.sweep();
    expect(await usageSubjects()).toEqual(["You've used 50% of your runs"]);
  });

  it('a limit changed mid-period owes the new limit’s alerts, each once', async () => {
    // A period that starts after the key's cut-over (see alertKey): its keys name the limit.
    server.clock.set(new Date('2027-01-15T00:00:00Z'));
    try {
      const customer = await registerUser(server.url);
      const address = customer.user.email ?? '';
      const operator = await registerOperator(server);
      const setLimit = (runLimit: number) =>
        trpc(
          server.url,
          'mutation',
          'admin.setRunLimit',
          { accountId: personalAccountId(customer.user.id), runLimit, reason: 'a bigger deal' },
          operator.accessToken,
        );
      expect(await runsAtOnce(8, customer.accessToken)).toEqual(Array(8).fill(200));
      expect(await usageSubjects(address)).toEqual(["You've used 80% of your runs"]);

      expect((await setLimit(100)).status).toBe(200);
      expect(await runsAtOnce(75, customer.accessToken)).toEqual(Array(75).fill(200)); // 83 of 100
      await server.services.usageAlerts.sweep();
      expect(await usageSubjects(address)).toEqual(Array(2).fill("You've used 80% of your runs"));

      // Back to 10: 80 % of 10 was sent already; 100 % of 10 is owed now, once.
      expect((await setLimit(10)).status).toBe(200);
      await server.services.usageAlerts.sweep();
      await server.services.usageAlerts.sweep();
      expect((await usageSubjects(address)).sort()).toEqual([
        ...Array(2).fill("You've used 80% of your runs"),
        "You've used all your runs",
      ]);
    } finally {
      server.clock.reset();
    }
  });

  it('usage alerts can be turned off per channel; the bell keeps them when only email is off', async () => {
    const prefs = await call('mutation', 'notifications.setPreferences', {
      usageAlerts: { email: false, inApp: true },
    });
    expect(prefs.data).toEqual({
      usageAlerts: { email: false, inApp: true },
      reminders: { email: true, inApp: true },
    });
    await runsAtOnce(8);
    expect(await usageSubjects()).toEqual([]);
    expect((await call('query', 'notifications.list')).data.unreadCount).toBe(1);
  });

  it('bad thresholds are 400s, never stored', async () => {
    for (const input of [
      { percents: [0], runsRemaining: null },
      { percents: [101], runsRemaining: null },
      { percents: [80, 80], runsRemaining: null },
      { percents: [10, 20, 30, 40, 50, 60], runsRemaining: null },
      { percents: [80], runsRemaining: 0 },
      { percents: ['80'], runsRemaining: null },
    ]) {
      expect((await call('mutation', 'usage.setAlertSettings', input)).status).toBe(400);
    }
    expect((await call('query', 'usage.alertSettings')).data).toEqual({
      percents: [80, 100],
      runsRemaining: null,
    });
  });

  it("a team's alerts go to its owners and admins, and only they may change the thresholds", async () => {
    const teamId = await createTeam(server, user);
    await givePool(server, teamId, 10);
    const [admin] = await addMembers(server, teamId, 1, 'admin');
    const [member] = await addMembers(server, teamId, 1, 'member');
    if (!admin || !member) throw new Error('members not made');
    const asTeam = { [ACCOUNT_HEADER]: teamId };
    const denied = await trpc(
      server.url,
      'mutation',
      'usage.setAlertSettings',
      { percents: [50], runsRemaining: null },
      member.accessToken,
      asTeam,
    );
    expect(denied.status).toBe(403);
    expect(
      (await trpc(server.url, 'query', 'usage.alertSettings', undefined, member.accessToken, asTeam)).status,
    ).toBe(200);
    await runsAtOnce(8, member.accessToken, asTeam);
    expect(await usageSubjects(email)).toEqual(["You've used 80% of your runs"]);
    expect(await usageSubjects(admin.email)).toEqual(["You've used 80% of your runs"]);
    expect(await usageSubjects(member.email)).toEqual([]);
  });
});

describe('the bell', () => {
  it("lists only the user's own notifications; marking someone else's is a no-op", async () => {
    await runsAtOnce(8);
    const other = await registerUser(server.url);
    const mine = await call('query', 'notifications.list');
    expect(mine.data.items).toHaveLength(1);
    const id = mine.data.items[0].id as string;
    expect((await call('query', 'notifications.list', undefined, other.accessToken)).data.items).toEqual([]);
    const foreign = await call('mutation', 'notifications.markRead', { ids: [id] }, other.accessToken);
    expect(foreign.data).toEqual({ unreadCount: 0 });
    expect((await call('query', 'notifications.list')).data.unreadCount).toBe(1);
    expect((await call('mutation', 'notifications.markRead', { ids: [id] })).data).toEqual({
      unreadCount: 0,
    });
    const read = await call('query', 'notifications.list');
    expect(read.data.items[0].readAt).not.toBeNull();
  });

  it('pages newest first with a cursor; bad input is a 400', async () => {
    await call('mutation', 'usage.setAlertSettings', { percents: [10, 20, 30, 40, 50], runsRemaining: null });
    await runsAtOnce(5);
    const first = await call('query', 'notifications.list', { limit: 2 });
    expect(first.data.items).toHaveLength(2);
    const second = await call('query', 'notifications.list', { limit: 2, before: first.data.nextCursor });
    const third = await call('query', 'notifications.list', { limit: 2, before: second.data.nextCursor });
    const titles = [...first.data.items, ...second.data.items, ...third.data.items].map(
      (item: { title: string }) => item.title,
    );
    expect(new Set(titles).size).toBe(5);
    expect(third.data.nextCursor).toBeNull();
    expect((await call('query', 'notifications.list', { limit: 0 })).status).toBe(400);
    expect((await call('query', 'notifications.list', { before: 'x' })).status).toBe(400);
    expect((await call('mutation', 'notifications.markRead', { ids: [] })).status).toBe(400);
    expect((await call('mutation', 'notifications.markAllRead')).data).toEqual({ unreadCount: 0 });
    expect((await trpc(server.url, 'query', 'notifications.list')).status).toBe(401);
  });
});
