import { listSubscriptionHistory, personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { portalAction } from '../support/hosted-pages';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';

const DAY = 86_400;

/**
 * Stripe holds the deliveries while the endpoint is down (it retries for up to three days): two plan
 * changes then arrive together, after both happened. The re-fetch says only where the subscription is
 * now; what it was in between is in each event's own object, and the analytics must still see it.
 */
describe.each(['in order', 'shuffled'] as const)('a plan change delivered late, %s', (deliver) => {
  let billing: BillingTestServer;
  beforeAll(async () => {
    billing = await startBillingTestServer({}, { startTime: new Date('2027-01-10T12:00:00Z') });
  });
  afterAll(async () => billing?.stop());

  it(
    'still shows in the month it held: PRO in January, BASIC in February',
    { timeout: 120_000 },
    async () => {
      const operatorToken = (await registerOperator(billing.server)).accessToken;
      const customer = await Customer.signUp(billing);
      await customer.checkout('BASIC', CARDS.success);
      const { webhooks, clock } = billing.emulator;
      if (deliver === 'shuffled') webhooks.setMode({ shuffle: true, seed: 7 });
      else webhooks.pause();
      const switchTo = async (priceId: string) => {
        const session = await customer.call('mutation', 'billing.createPortalSession', {});
        await portalAction(session.data.url, { action: 'switch', priceId });
      };
      await clock.advance(10 * DAY); // Jan 20
      await switchTo(billing.settings.priceIds.PRO);
      await clock.advance(16 * DAY); // Feb 5
      await switchTo(billing.settings.priceIds.BASIC);
      await customer.settle(); // the endpoint is back: everything held arrives now

      const rows = await listSubscriptionHistory(billing.server.deps.db, personalAccountId(customer.userId));
      expect(rows.map((row) => row.plan)).toEqual(['BASIC', 'PRO', 'BASIC']);
      expect(rows[1]?.at.toISOString().slice(0, 10)).toBe('2027-01-20');
      const analytics = await trpc<{ mrr: Array<{ month: string; mrrCents: number }> }>(
        billing.server.url,
        'query',
        'admin.analytics',
        { from: '2027-01', to: '2027-02' },
        operatorToken,
      );
      expect(analytics.data?.mrr.map((month) => [month.month, month.mrrCents])).toEqual([
        ['2027-01', 4900],
        ['2027-02', 1900],
      ]);
    },
  );
});
