import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { CARDS, Customer } from './scenarios';

/** Stripe answers every subscription list this late: one reconciliation pass outlasts several ticks. */
const STRIPE_LATENCY_MS = 4_500;

let billing: BillingTestServer;
let isServerClosed = false;
beforeAll(async () => {
  billing = await startBillingTestServer({ RECONCILE_INTERVAL_SECONDS: '1' });
});
afterAll(async () => {
  if (isServerClosed) {
    await billing.emulator.close();
    await billing.server.testDb.close();
  } else await billing?.stop();
});

describe('the reconciliation timer', () => {
  it('never runs two passes at once, and shutdown waits for the pass under way', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success); // a linked customer: each pass asks Stripe
    const stripe = billing.server.services.stripe;
    if (!stripe) throw new Error('billing not configured');

    let inFlight = 0;
    let mostAtOnce = 0;
    let finished = 0;
    const reconcile = stripe.reconcile.bind(stripe);
    stripe.reconcile = async () => {
      inFlight += 1;
      mostAtOnce = Math.max(mostAtOnce, inFlight);
      try {
        return await reconcile();
      } finally {
        inFlight -= 1;
        finished += 1;
      }
    };
    billing.emulator.faults.set({ method: 'GET', path: '/v1/subscriptions', latencyMs: STRIPE_LATENCY_MS });

    // A pass starts at the next tick (within 1 s) and waits on Stripe; two more ticks come meanwhile.
    await vi.waitFor(() => expect(inFlight).toBe(1), { timeout: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect(inFlight).toBe(1);
    expect(mostAtOnce).toBe(1);

    // Shutdown while a pass waits on Stripe: close resolves only once that pass is over, so it never
    // meets a closed database pool or emulator.
    await billing.server.close();
    isServerClosed = true;
    expect(inFlight).toBe(0);
    expect(finished).toBeGreaterThanOrEqual(1);
  });
});
