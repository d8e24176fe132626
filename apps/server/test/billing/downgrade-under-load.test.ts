import { queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { subscribedCustomer } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());

interface Answer {
  status: number;
  used?: number;
  limit?: number;
}

/**
 * The database itself records each change of a period's limit with the period's count at that moment:
 * the answers only report the limit each admission read, so they can't show one read stale.
 */
async function recordLimitChanges(): Promise<void> {
  const { db } = billing.server.testDb;
  await db.execute(
    sql.raw('create table zz_limit_changes (used int not null, old_limit int, new_limit int)'),
  );
  await db.execute(
    sql.raw(`create function zz_record_limit_change() returns trigger language plpgsql as $$
      begin
        if old.run_limit is distinct from new.run_limit then
          insert into zz_limit_changes values (new.used, old.run_limit, new.run_limit);
        end if;
        return new;
      end $$`),
  );
  await db.execute(
    sql.raw(`create trigger zz_limit_change after update on usage_periods
      for each row execute function zz_record_limit_change()`),
  );
}

async function limitChanges() {
  const rows = await queryRows<{ used: number; old_limit: number | null; new_limit: number | null }>(
    billing.server.testDb.db,
    sql`select used, old_limit, new_limit from zz_limit_changes`,
  );
  return rows.map((row) => ({ used: row.used, oldLimit: row.old_limit, newLimit: row.new_limit }));
}

/**
 * PRO → BASIC now, as support or the dashboard does it (an API update of the item's price). The
 * portal no longer downgrades mid-period: it schedules the switch for the period end
 * (plan-change-timing.test.ts), where the same race meets the renewal instead.
 */
async function downgradeAtStripe(subscriptionId: string): Promise<void> {
  const subscription = await billing.stripe.subscriptions.retrieve(subscriptionId);
  const itemId = subscription.items.data[0]?.id ?? '';
  await billing.stripe.subscriptions.update(subscriptionId, {
    items: [{ id: itemId, price: billing.emulator.prices.BASIC }],
    proration_behavior: 'none',
  });
  await billing.emulator.webhooks.drain();
}

describe('a downgrade racing with authorizations (the limit lives on the period row)', () => {
  it('PRO → BASIC at Stripe in the middle of 600 concurrent runs: no run is admitted past the new limit', async () => {
    const { customer, subscriptionId } = await subscribedCustomer(billing, 'PRO');
    await recordLimitChanges();
    const answers: Answer[] = [];
    const wave = async (prefix: string, count: number) => {
      const results = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          customer.call('mutation', 'usage.authorize', { runId: `${prefix}-${i}` }),
        ),
      );
      for (const result of results) {
        const data = result.data as { used: number; limit: number } | undefined;
        answers.push({ status: result.status, used: data?.used, limit: data?.limit });
      }
    };
    // Waves of load keep going while the downgrade travels: Stripe → signed webhook → sync, which
    // writes BASIC's 100 on the period row in the transaction that stores the plan.
    const load = (async () => {
      for (let w = 0; w < 12; w += 1) await wave(`w${w}`, 50);
    })();
    await wave('warm-up', 20);
    await downgradeAtStripe(subscriptionId);
    await load;

    const allowed = answers.filter((a) => a.status === 200);
    // Each answer reports the limit read on the locked row when it was admitted: never above it.
    expect(allowed.filter((a) => (a.used ?? Infinity) > (a.limit ?? -1))).toEqual([]);
    // The change really landed mid-load: some runs admitted under 1,000, later ones refused under 100.
    const [change, ...more] = await limitChanges();
    expect(more).toEqual([]);
    expect(change).toMatchObject({ oldLimit: 1000, newLimit: 100 });
    const usedAtChange = change?.used ?? -1;
    expect(usedAtChange).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 402).length).toBeGreaterThan(0);
    // Exactly the runs counted before BASIC's limit landed were admitted under PRO's: a run admitted
    // later by a stale limit would say 1,000 and be one too many here.
    expect(allowed.filter((a) => a.limit === 1000)).toHaveLength(usedAtChange);
    // After the change, admissions only happened while the period was under BASIC's 100.
    const admittedUnderBasic = allowed.filter((a) => a.limit === 100);
    expect(admittedUnderBasic.every((a) => (a.used ?? Infinity) <= 100)).toBe(true);

    const [period] = await queryRows<{ used: number; run_limit: number; held: number }>(
      billing.server.testDb.db,
      sql`select p.used, p.run_limit,
            (select count(*)::int from usage_ledger l where l.period_id = p.id and l.state <> 'released') as held
          from usage_periods p where p.account_id = personal_account_id(${customer.userId})
          order by p.period_start desc limit 1`,
    );
    expect(period).toMatchObject({ run_limit: 100, used: allowed.length, held: allowed.length });
    expect(period?.used).toBeLessThanOrEqual(Math.max(100, usedAtChange));
    expect(await customer.overview()).toMatchObject({ plan: 'BASIC', usage: { limit: 100 } });
  });
});
