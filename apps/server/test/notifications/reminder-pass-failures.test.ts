import { personalAccountId } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer } from '../billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { mailTo } from '../support/mailbox';

const ENV = { EMAIL_OUTBOX_INTERVAL_MS: '0', NOTIFICATION_CLOCK_INTERVAL_SECONDS: '0' };

// The reminder pass goes over every account that may be owed a notice, one transaction each. One
// account whose notice the database refuses must not cost every account after it its reminder.
describe('billing reminders: one failing account', () => {
  let billing: BillingTestServer;
  beforeAll(async () => {
    billing = await startBillingTestServer(ENV);
  });
  afterAll(async () => {
    await billing?.stop();
  });

  async function trialCustomer() {
    const customer = await Customer.signUp(billing);
    expect((await customer.call('mutation', 'billing.activateTrial')).status).toBe(200);
    const me = await customer.call('query', 'auth.me');
    return { customer, email: me.data.email as string, accountId: personalAccountId(customer.userId) };
  }

  /** One mailbox after another: concurrent reads would drain the outbox concurrently (SKIP LOCKED). */
  async function remindedEach(emails: string[]): Promise<number[]> {
    const counts: number[] = [];
    for (const email of emails) counts.push(await reminded(email));
    return counts;
  }

  const reminded = async (email: string) =>
    (await mailTo(billing.server, email)).filter((message) => /trial ends in/i.test(message.subject)).length;

  it('is logged and left for the next pass; the others get theirs, and it gets its own once it can', async () => {
    const customers = [await trialCustomer(), await trialCustomer(), await trialCustomer()];
    const failing = customers[1];
    if (!failing) throw new Error('three customers');
    const db = billing.server.deps.db;
    // The database refuses the failing account's outbox rows (a constraint, a full disk for one row).
    await db.execute(
      sql.raw(`create or replace function zz_refuse_outbox() returns trigger language plpgsql as $$
        begin
          if new.account_id = '${failing.accountId}' then raise exception 'outbox row refused'; end if;
          return new;
        end $$`),
    );
    await db.execute(
      sql.raw(`create trigger zz_refuse_outbox before insert on email_outbox
        for each row execute function zz_refuse_outbox()`),
    );
    const before = await remindedEach(customers.map((c) => c.email));
    await billing.emulator.clock.advance(11 * 86_400);
    await expect(billing.server.services.billingReminders.runOnce()).resolves.toBeGreaterThan(0);
    const after = await remindedEach(customers.map((c) => c.email));
    expect(after.map((count, i) => count - (before[i] ?? 0))).toEqual([1, 0, 1]);

    await db.execute(sql.raw('drop trigger zz_refuse_outbox on email_outbox'));
    await billing.server.services.billingReminders.runOnce();
    expect((await reminded(failing.email)) - (before[1] ?? 0)).toBe(1);
  });
});
