import { monthOf } from '@tollgate/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';

// Trial conversion reads each account's trial window. Once an account pays, its subscription row
// holds the paid state, without trial dates: the trial it converted from must stay in its cohort.
const START = new Date('2027-01-10T12:00:00Z');

let billing: BillingTestServer;
let operatorToken: string;
beforeAll(async () => {
  billing = await startBillingTestServer({}, { startTime: START });
  operatorToken = (await registerOperator(billing.server)).accessToken;
});
afterAll(() => billing?.stop());

describe('trial conversion', () => {
  it('a Tollgate trial that converts through Checkout counts as a trial and as converted', async () => {
    const converts = await Customer.signUp(billing);
    const stays = await Customer.signUp(billing);
    for (const customer of [converts, stays]) {
      expect((await customer.call('mutation', 'billing.activateTrial')).status).toBe(200);
    }
    await converts.advanceDays(2); // two days into the trial, it pays
    await converts.checkout('BASIC', CARDS.success);
    await converts.settle(); // every webhook of the checkout applied
    const month = monthOf(billing.server.deps.now());
    const report = await trpc<{ trialConversion: unknown[] }>(
      billing.server.url,
      'query',
      'admin.analytics',
      { from: month, to: month },
      operatorToken,
    );
    expect(report.status).toBe(200);
    expect(report.data?.trialConversion[0]).toMatchObject({ month, trials: 2, converted: 1 });
  });
});
