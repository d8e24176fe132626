import { monthOf } from '@tollgate/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';

// Revenue analytics end to end: two customers pay through the hosted checkout, renew by the test
// clock, one cancels; what admin.analytics says about MRR and churn must agree with the invoices the
// emulator issued, month by month. The clock starts on the 10th, so every renewal falls in the next
// month and each month holds exactly one invoice per live subscription.
const START = new Date('2027-01-10T12:00:00Z');
const DAY = 86_400;

describe('analytics agree with the invoices Stripe issued', () => {
  let billing: BillingTestServer;
  let operatorToken: string;
  let basic: Customer;
  let pro: Customer;
  let free: Customer;

  beforeAll(async () => {
    billing = await startBillingTestServer({}, { startTime: START });
    operatorToken = (await registerOperator(billing.server)).accessToken;
    basic = await Customer.signUp(billing);
    pro = await Customer.signUp(billing);
    await basic.checkout('BASIC', CARDS.success);
    await pro.checkout('PRO', CARDS.success);
    // A FREE account runs its 10 runs, and the 11th is refused: one 402.
    free = await Customer.signUp(billing);
    expect(await free.runs(11)).toEqual([...Array<number>(10).fill(200), 402]);
    // February: both renew; BASIC then cancels at the end of its period.
    await billing.emulator.clock.advance(31 * DAY + 3600);
    await basic.settle();
    await basic.portal({ action: 'cancel_at_period_end' });
    // March: PRO renews, BASIC ends.
    await billing.emulator.clock.advance(28 * DAY + 3600);
    await basic.settle();
  });
  afterAll(async () => {
    await billing?.stop();
  });

  async function analytics(input: { from: string; to: string; plans?: string[] }) {
    const result = await trpc(billing.server.url, 'query', 'admin.analytics', input, operatorToken);
    expect(result.status).toBe(200);
    return result.data;
  }

  /** The subscription invoices Stripe issued and collected, summed per month of issue. */
  async function paidInvoicesByMonth(): Promise<Map<string, { cents: number; customers: Set<string> }>> {
    const byMonth = new Map<string, { cents: number; customers: Set<string> }>();
    for await (const invoice of billing.stripe.invoices.list({ limit: 100 })) {
      if (invoice.status !== 'paid') continue;
      const month = monthOf(new Date(invoice.created * 1000));
      const tally = byMonth.get(month) ?? { cents: 0, customers: new Set<string>() };
      tally.cents += invoice.subtotal;
      tally.customers.add(String(invoice.customer));
      byMonth.set(month, tally);
    }
    return byMonth;
  }

  it('MRR at each month end equals what was invoiced in the month; ARR is 12×', async () => {
    const invoices = await paidInvoicesByMonth();
    expect([...invoices.keys()].sort()).toEqual(['2027-01', '2027-02', '2027-03']);
    const { mrr } = await analytics({ from: '2027-01', to: '2027-03' });
    expect(mrr).toHaveLength(3);
    for (const month of mrr) {
      const issued = invoices.get(month.month);
      expect(month.mrrCents, month.month).toBe(issued?.cents);
      expect(month.payingAccounts, month.month).toBe(issued?.customers.size);
      expect(month.arrCents).toBe(12 * month.mrrCents);
    }
    expect(mrr.map((month: { mrrCents: number }) => month.mrrCents)).toEqual([6800, 6800, 4900]);
  });

  it('churn is the customer invoiced in February and not in March, with its MRR', async () => {
    const invoices = await paidInvoicesByMonth();
    const february = invoices.get('2027-02');
    const march = invoices.get('2027-03');
    const churned = [...(february?.customers ?? [])].filter((customer) => !march?.customers.has(customer));
    expect(churned).toHaveLength(1);
    const { movements, retention } = await analytics({ from: '2027-01', to: '2027-03' });
    expect(movements[0]).toMatchObject({ new: { accounts: 2, cents: 6800 }, churn: { accounts: 0 } });
    expect(movements[1]).toMatchObject({ netCents: 0, churn: { accounts: 0, cents: 0 } });
    expect(movements[2]).toMatchObject({
      churn: { accounts: churned.length, cents: (february?.cents ?? 0) - (march?.cents ?? 0) },
      netCents: -1900,
    });
    expect(retention[2]).toMatchObject({
      logoChurn: { numerator: 1, denominator: 2, basisPoints: 5000 },
      revenueChurn: { numerator: 1900, denominator: 6800 },
      netRevenueRetention: { numerator: 4900, denominator: 6800, basisPoints: 7206 },
    });
  });

  it('a plan filter keeps only that plan; support reads analytics, an account owner is refused', async () => {
    const { mrr } = await analytics({ from: '2027-01', to: '2027-03', plans: ['BASIC'] });
    expect(mrr.map((month: { mrrCents: number }) => month.mrrCents)).toEqual([1900, 1900, 0]);
    const refused = await trpc(
      billing.server.url,
      'query',
      'admin.analytics',
      { from: '2027-01', to: '2027-03' },
      basic.token,
    );
    expect(refused.status).toBe(403);
  });

  it('counts the 402 against every authorization of the month, and follows up its first 402', async () => {
    const { paymentRequired, firstDenial, runs } = await analytics({ from: '2027-01', to: '2027-01' });
    expect(paymentRequired[0]).toMatchObject({
      authorizations: 11,
      denied: 1,
      rate: { numerator: 1, denominator: 11 },
    });
    // Neither an upgrade nor a pack within 7 days, and the window has closed.
    expect(firstDenial[0]).toMatchObject({ accounts: 1, upgradedOrBoughtPack: 0, open: 0 });
    expect(runs[0]).toMatchObject({ runs: 10, max: 10 });
  });

  it('refuses a range backwards, too long or not made of months with a 400', async () => {
    for (const input of [
      { from: '2027-03', to: '2027-01' },
      { from: '2020-01', to: '2027-01' },
      { from: '2027-13', to: '2027-14' },
      { from: '2027-1', to: '2027-02' },
    ]) {
      const result = await trpc(billing.server.url, 'query', 'admin.analytics', input, operatorToken);
      expect(result.status, JSON.stringify(input)).toBe(400);
    }
  });
});
