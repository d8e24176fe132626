import { afterAll, beforeAll, describe, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { Customer, SCENARIOS } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer(
    { PAYMENT_GRACE_DAYS: '3' },
    { retrySchedule: [5 * 86_400, 5 * 86_400], endStateAfterRetries: 'canceled' },
  );
});
afterAll(() => billing?.stop());

describe('billing lifecycles through the emulator (in-order delivery)', () => {
  // Sequential: each scenario moves the shared emulator clock.
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    it(name, async () => scenario(await Customer.signUp(billing)));
  }
});
