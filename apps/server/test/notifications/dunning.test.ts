import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { linksIn, onlyMessage, subjectsTo } from '../support/mailbox';

let billing: BillingTestServer;
beforeAll(async () => {
  // Stripe's default retries (3, 5, 7 days after each failure) keep failing with card 0341; our grace
  // is 7 days with reminders on days 3 and 6.
  billing = await startBillingTestServer({
    PAYMENT_GRACE_DAYS: '7',
    DUNNING_DAYS: '0,3,6',
    EMAIL_OUTBOX_INTERVAL_MS: '0',
    NOTIFICATION_CLOCK_INTERVAL_SECONDS: '0',
  });
});
afterAll(() => billing?.stop());

/** Customer.signUp verifies the address (the link flow itself is tested in test/email/). */
async function verifiedCustomer(): Promise<{ customer: Customer; email: string }> {
  const customer = await Customer.signUp(billing);
  const me = await customer.call('query', 'auth.me');
  return { customer, email: me.data.email };
}

/**
 * The clock's pass, as the server's timer would run it: a minute after the moment reached (the timer
 * runs every few minutes; the past_due state was stored a moment after the renewal failed).
 */
async function tick() {
  await billing.emulator.clock.advance(60);
  // What that minute set off at Stripe is applied first (as it would be by the time the timer runs):
  // a delivery still in flight would otherwise land in the middle of the runs below.
  await billing.emulator.webhooks.drain();
  await billing.server.services.billingReminders.runOnce();
}

describe('dunning through the emulator: renewal fails with 0341, grace, recovery in the portal', () => {
  it('day 0 → day 3 → day 6 → last notice → Free only → card updated → recovered', async () => {
    const { customer, email } = await verifiedCustomer();
    await customer.checkout('PRO', CARDS.failsLater);
    const receipt = await onlyMessage(billing.server, email, /^Payment received/);
    expect(receipt.subject).toContain('$49.00');
    expect(linksIn(receipt).some((link) => link.includes('/invoices/'))).toBe(true);

    await customer.advanceDays(31); // the renewal charge fails
    expect((await customer.overview()).status).toBe('past_due');
    await tick();
    const failed = await onlyMessage(billing.server, email, /^Payment failed/);
    expect(failed.text).toContain('$49.00');
    expect(linksIn(failed)).toContain('http://app.tollgate.test/settings/subscription');

    await customer.advanceDays(3); // Stripe's first retry fails too: no second "payment failed"
    await tick();
    await customer.advanceDays(3);
    await tick();
    await tick(); // a second pass (or a second server) owes nothing more
    const reminders = (await subjectsTo(billing.server, email)).filter((s) => /still failing/.test(s));
    expect(reminders).toHaveLength(2);
    expect((await customer.authorizeOne()).status).toBe(200); // day 6: inside the grace

    await customer.advanceDays(1); // day 7: the grace ends
    await tick();
    const last = await onlyMessage(billing.server, email, /paused/);
    expect(linksIn(last)).toContain('http://app.tollgate.test/settings/subscription');

    // Never locked out of the free tier: Free's runs, then a 402 that asks for the card.
    const statuses = await customer.runs(11, 'past-grace');
    expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true);
    const denied = await customer.authorizeOne();
    expect(denied.status).toBe(402);
    expect(denied.error?.data.paymentRequired).toMatchObject({ code: 'PAYMENT_PAST_DUE' });

    await customer.portal({ action: 'update_card', cardNumber: CARDS.success });
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', status: 'active' });
    await onlyMessage(billing.server, email, /^Payment recovered/);
    expect((await customer.authorizeOne()).status).toBe(200);

    // Each email exactly once, in this order.
    const subjects = await subjectsTo(billing.server, email);
    expect(subjects.filter((s) => !/^Verify/.test(s)).map(kindOf)).toEqual([
      'receipt',
      'failed',
      'reminder',
      'reminder',
      'last notice',
      // The Free runs of the fallback period are alerted like any allowance.
      'usage 80%',
      'usage 100%',
      expect.stringMatching(/receipt|recovered/),
      expect.stringMatching(/receipt|recovered/),
    ]);
  }, 60_000);
});

function kindOf(subject: string): string {
  if (/^Payment received/.test(subject)) return 'receipt';
  if (/^Payment failed/.test(subject)) return 'failed';
  if (/still failing/.test(subject)) return 'reminder';
  if (/paused/.test(subject)) return 'last notice';
  if (/^Payment recovered/.test(subject)) return 'recovered';
  if (/used 80%/.test(subject)) return 'usage 80%';
  if (/used all your runs/.test(subject)) return 'usage 100%';
  return subject;
}
