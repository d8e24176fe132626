import { listAudit, personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { CARDS, Customer } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(async () => {
  await billing?.stop();
});

describe('overrides sit on top of what Stripe says: a later webhook sync never erases them', () => {
  it('a custom limit on a BASIC subscriber survives a plan change and a cancellation at Stripe', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const operator = await registerOperator(billing.server);
    const accountId = personalAccountId(customer.userId);
    const set = await trpc(
      billing.server.url,
      'mutation',
      'admin.setRunLimit',
      { accountId, runLimit: 150, reason: 'pilot: 150 runs on Basic' },
      operator.accessToken,
    );
    expect(set.status).toBe(200);
    expect((await customer.overview()).usage.limit).toBe(150);
    // The customer changes plan in the portal: the subscription.updated webhooks resync the account.
    await customer.portal({ action: 'switch', priceId: billing.settings.priceIds.PRO });
    expect((await customer.overview()).plan).toBe('PRO');
    expect((await customer.overview()).usage.limit).toBe(150);
    await customer.portal({ action: 'cancel_at_period_end' });
    expect((await customer.overview()).usage.limit).toBe(150);
    const statuses = await customer.runs(151, 'pilot');
    expect(statuses.filter((status) => status === 200)).toHaveLength(150);
    expect(statuses.at(-1)).toBe(402);
    // One audit row: the operator's; the syncs wrote none.
    expect((await listAudit(billing.server.deps.db, { accountId })).map((row) => row.action)).toEqual([
      'set_run_limit',
    ]);
  });

  it('a comp survives the renewal sync, and ends on its date even while the subscription renews', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const operator = await registerOperator(billing.server);
    const accountId = personalAccountId(customer.userId);
    const until = new Date(billing.emulator.clock.now().getTime() + 45 * 86_400_000).toISOString();
    const comp = await trpc(
      billing.server.url,
      'mutation',
      'admin.compAccount',
      { accountId, plan: 'PRO', until, reason: 'partner' },
      operator.accessToken,
    );
    expect(comp.status).toBe(200);
    expect((await customer.overview()).usage.limit).toBe(1000);
    await customer.advanceDays(32);
    expect((await customer.overview()).usage.limit).toBe(1000);
    await customer.advanceDays(20);
    // 52 days in: the comp ended; the BASIC subscription (renewed by Stripe) is in force again.
    expect((await customer.overview()).usage.limit).toBe(100);
  });
});
