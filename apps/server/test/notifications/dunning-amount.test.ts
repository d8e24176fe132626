import { insertNotifications, personalAccountId, updateSubscription } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxFor, startEmailTestServer } from '../email/email-support';
import { registerVerifiedUser, type TestServer } from '../support/test-server';

// A dunning reminder names the amount of this episode's failed payment, read from the payment-failed
// notice. An account that was past due before has an older notice: its amount is not this episode's.

const DAY = 86_400_000;

let server: TestServer;
beforeAll(async () => {
  server = await startEmailTestServer({
    PAYMENT_GRACE_DAYS: '7',
    DUNNING_DAYS: '0,3,6',
    NOTIFICATION_CLOCK_INTERVAL_SECONDS: '0',
  });
});
afterAll(() => server?.stop());

/** A PRO account past due for 4 days (day 3's reminder owed), with payment-failed notices made at `noticesAt`. */
async function pastDueAccount(notices: { at: Date; amountDue: number }[]) {
  const user = await registerVerifiedUser(server);
  const accountId = personalAccountId(user.user.id);
  const now = server.deps.now();
  const pastDueSince = new Date(now.getTime() - 4 * DAY);
  await updateSubscription(server.testDb.db, accountId, {
    plan: 'PRO',
    status: 'past_due',
    pastDueSince,
    currentPeriodStart: new Date(pastDueSince.getTime() - DAY),
    currentPeriodEnd: new Date(pastDueSince.getTime() + 29 * DAY),
  });
  await insertNotifications(
    server.testDb.db,
    notices.map((notice, i) => ({
      userId: user.user.id,
      accountId,
      kind: 'payment_failed',
      dedupeKey: `payment_failed:${accountId}:episode-${i}`,
      data: { kind: 'payment_failed', amountDue: notice.amountDue, currency: 'usd' },
      createdAt: notice.at,
    })),
  );
  return { email: user.user.email ?? '', pastDueSince };
}

async function reminderAmount(email: string): Promise<unknown> {
  await server.services.billingReminders.runOnce();
  const reminders = await outboxFor(server, email, 'dunning_reminder');
  expect(reminders).toHaveLength(1);
  return reminders[0]?.data?.['amountDue'];
}

describe('the dunning reminder’s amount', () => {
  it('is not an earlier episode’s: with only an old notice, the reminder names no amount', async () => {
    const sixtyDaysAgo = new Date(server.deps.now().getTime() - 60 * DAY);
    const { email } = await pastDueAccount([{ at: sixtyDaysAgo, amountDue: 1900 }]);
    expect(await reminderAmount(email)).toBeNull();
  });

  it('is this episode’s, even when its notice came hours before the subscription turned past due', async () => {
    const now = server.deps.now();
    const { email } = await pastDueAccount([
      { at: new Date(now.getTime() - 60 * DAY), amountDue: 1900 },
      { at: new Date(now.getTime() - 4 * DAY - 3 * 3_600_000), amountDue: 4900 },
    ]);
    expect(await reminderAmount(email)).toBe(4900);
  });
});
