import { getSubscription, personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server';
import { Customer } from '../billing/scenarios';
import type { BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { testServerEnv } from '../support/test-server';
import { waitFor } from '../support/wait';
import { invoicedDeal, openDealDesk } from './deal-support';

// One deal is made per account at a time (a claim on its subscription row, 5 minutes long). Replicas'
// clocks differ: the claim is taken and judged on PostgreSQL's clock, or a replica whose clock runs
// 6 minutes ahead judges another's live claim expired (and one running 6 minutes behind writes a claim
// the others judge expired), and two deals bill the customer twice.
const SKEW_MS = 6 * 60_000;

describe('ENTERPRISE deals on replicas whose clocks differ: still one deal at a time', () => {
  let billing: BillingTestServer;
  let operatorToken: string;
  const replicas = new Map<number, RunningServer>();

  beforeAll(async () => {
    ({ billing, operatorToken } = await openDealDesk());
    // Two more replicas on the same database and Stripe, their clocks 6 minutes ahead and behind.
    for (const skew of [SKEW_MS, -SKEW_MS]) {
      const replica = await startServer(testServerEnv(), {
        db: billing.server.testDb,
        logger: billing.server.deps.logger,
        now: () => new Date(billing.server.deps.now().getTime() + skew),
        billing: billing.settings,
      });
      replicas.set(skew, replica);
    }
  });
  afterAll(async () => {
    for (const replica of replicas.values()) await replica.close();
    await billing?.stop();
  });

  const urlOf = (skew: number) => (skew === 0 ? billing.server.url : (replicas.get(skew)?.url ?? ''));

  it.each([
    ['on time, then 6 minutes ahead', 0, SKEW_MS],
    ['6 minutes behind, then on time', -SKEW_MS, 0],
  ])(
    'claimed first %s: one deal is made, the other is told to come again (429)',
    async (_, first, second) => {
      const customer = await Customer.signUp(billing);
      const accountId = personalAccountId(customer.userId);
      // Stripe is slow: the first deal still holds its claim when the second arrives.
      billing.emulator.faults.set({ method: 'GET', path: '/v1/subscriptions', latencyMs: 1000, times: 2 });
      billing.emulator.faults.set({ method: 'POST', path: '/v1/subscriptions', latencyMs: 1000, times: 2 });
      const sell = (skew: number, runLimit: number) =>
        trpc(
          urlOf(skew),
          'mutation',
          'admin.createEnterpriseDeal',
          invoicedDeal(accountId, { runLimit, reason: `deal of ${runLimit}` }),
          operatorToken,
        );
      const firstDeal = sell(first, 5000);
      await waitFor(
        async () =>
          (await getSubscription(billing.server.deps.db, accountId))?.enterpriseDealClaimedUntil != null,
        'the first deal to claim the account',
      );
      const answers = await Promise.all([firstDeal, sell(second, 8000)]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 429]);
      await customer.settle();

      const row = await getSubscription(billing.server.deps.db, accountId);
      const made = await billing.stripe.subscriptions.list({
        customer: row?.stripeCustomerId ?? '',
        status: 'all',
      });
      expect(made.data).toHaveLength(1);
      expect(await customer.overview()).toMatchObject({ plan: 'ENTERPRISE', usage: { limit: 5000 } });
      // The deal released its claim (the one it took): the next deal goes through on any replica.
      expect(row?.enterpriseDealClaimedUntil).toBeNull();
      const again = await sell(second, 8000);
      expect(again.status, JSON.stringify(again.error)).toBe(200);
      expect(again.data.stripeSubscriptionId).toBe(made.data[0]?.id);
    },
  );
});
