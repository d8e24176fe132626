import { queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { CARDS, Customer } from './scenarios';

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

describe('a downgrade racing with authorizations (the limit lives on the period row)', () => {
  it('PRO → BASIC through the portal in the middle of 600 concurrent runs: no run is admitted past the new limit', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('PRO', CARDS.success);
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
    // Waves of load keep going while the downgrade travels: portal → emulator → signed webhook →
    // sync, which writes BASIC's 100 on the period row in the transaction that stores the plan.
    const load = (async () => {
      for (let w = 0; w < 12; w += 1) await wave(`w${w}`, 50);
    })();
    await wave('warm-up', 20);
    await customer.portal({ action: 'switch', priceId: billing.emulator.prices.BASIC });
    await load;

    const allowed = answers.filter((a) => a.status === 200);
    // Each answer reports the limit read on the locked row when it was admitted: never above it.
    expect(allowed.filter((a) => (a.used ?? Infinity) > (a.limit ?? -1))).toEqual([]);
    // The change really landed mid-load: some runs admitted under 1,000, later ones refused under 100.
    expect(allowed.some((a) => a.limit === 1000)).toBe(true);
    const admittedUnderBasic = allowed.filter((a) => a.limit === 100);
    const highestUnderPro = Math.max(...allowed.filter((a) => a.limit === 1000).map((a) => a.used ?? 0));
    expect(answers.filter((a) => a.status === 402).length).toBeGreaterThan(0);
    // After the change, admissions only happened while the period was under BASIC's 100.
    expect(admittedUnderBasic.every((a) => (a.used ?? Infinity) <= 100)).toBe(true);

    const [period] = await queryRows<{ used: number; run_limit: number; held: number }>(
      billing.server.testDb.db,
      sql`select p.used, p.run_limit,
            (select count(*)::int from usage_ledger l where l.period_id = p.id and l.state <> 'released') as held
          from usage_periods p where p.account_id = personal_account_id(${customer.userId})
          order by p.period_start desc limit 1`,
    );
    expect(period).toMatchObject({ run_limit: 100, used: allowed.length, held: allowed.length });
    expect(period?.used).toBeLessThanOrEqual(Math.max(100, highestUnderPro));
    expect(await customer.overview()).toMatchObject({ plan: 'BASIC', usage: { limit: 100 } });
  });
});
