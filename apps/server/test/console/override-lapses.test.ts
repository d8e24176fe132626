import { listAudit, personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc, type Tokens } from '../support/http';
import { registerOperator, registerSupport } from '../support/operators';

/**
 * Overrides that end on their own date (no code runs then): what the account had under them must be
 * in force again, as it was left. And a trial window staff set never swallows the customer's own trial.
 */
let billing: BillingTestServer;
let operator: Tokens;
let support: Tokens;
beforeAll(async () => {
  billing = await startBillingTestServer();
  operator = await registerOperator(billing.server);
  support = await registerSupport(billing.server);
});
afterAll(async () => {
  await billing?.stop();
});

const DAY = 86_400_000;

function daysFromNow(days: number): string {
  return new Date(billing.emulator.clock.now().getTime() + days * DAY).toISOString();
}

async function staffCall(staff: Tokens, path: string, input: unknown) {
  const result = await trpc(billing.server.url, 'mutation', path, input, staff.accessToken);
  expect(result.status, JSON.stringify(result.error)).toBe(200);
  return result.data;
}

function comp(customer: Customer, plan: 'BASIC' | 'PRO', until: string) {
  const accountId = personalAccountId(customer.userId);
  return staffCall(operator, 'admin.compAccount', { accountId, plan, until, reason: 'a gift' });
}

describe('a comp that ends on its date hands the account its own period back', () => {
  it('a BASIC subscriber comped PRO for 5 days has its 90 paid runs left on day 6', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    expect(await customer.runs(10, 'pre')).toEqual(Array(10).fill(200));
    await comp(customer, 'PRO', daysFromNow(5));
    expect((await customer.overview()).usage).toMatchObject({ used: 0, limit: 1000 });
    expect(await customer.runs(2, 'comped')).toEqual([200, 200]);
    await customer.advanceDays(6);
    const overview = await customer.overview();
    expect(overview.plan).toBe('BASIC');
    expect(overview.usage).toMatchObject({ used: 10, limit: 100, remaining: 90 });
    // Admission agrees with the overview: the paid period's runs are spendable again, up to its 100.
    const statuses = await customer.runs(91, 'post');
    expect(statuses.filter((status) => status === 200)).toHaveLength(90);
    expect(statuses.at(-1)).toBe(402);
  });

  it('a customer comped during their own trial has the trial’s runs left when the comp ends first', async () => {
    const customer = await Customer.signUp(billing);
    expect((await customer.call('mutation', 'billing.activateTrial')).status).toBe(200);
    expect(await customer.runs(5, 'trial')).toEqual(Array(5).fill(200));
    await comp(customer, 'PRO', daysFromNow(3));
    await customer.advanceDays(4);
    const overview = await customer.overview();
    expect(overview.plan).toBe('TRIAL');
    expect(overview.usage).toMatchObject({ used: 5, limit: 50, remaining: 45 });
    expect(await customer.runs(2, 'post')).toEqual([200, 200]);
  });

  it('a comp to a plan below the one paid for takes nothing away: PRO stays, over its own period', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('PRO', CARDS.success);
    expect(await customer.runs(3, 'pre')).toEqual([200, 200, 200]);
    await comp(customer, 'BASIC', daysFromNow(5));
    const during = await customer.overview();
    expect(during.plan).toBe('PRO');
    expect(during.usage).toMatchObject({ used: 3, limit: 1000 });
    expect(await customer.runs(2, 'during')).toEqual([200, 200]);
    await customer.advanceDays(6);
    const after = await customer.overview();
    expect(after.plan).toBe('PRO');
    expect(after.usage).toMatchObject({ used: 5, limit: 1000, remaining: 995 });
    expect(await customer.runs(2, 'post')).toEqual([200, 200]);
  });
});

describe("a trial window staff set doesn't swallow the customer's own trial", () => {
  it('after the window ended the customer may start a trial, and it grants TRIAL’s 50 runs', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    await staffCall(support, 'admin.setTrial', {
      accountId,
      mode: 'extend',
      until: daysFromNow(3),
      reason: 'a few days to try',
    });
    // Inside the window: on TRIAL already, so no trial of its own (shown and refused alike).
    expect((await customer.overview()).trial.isEligible).toBe(false);
    expect((await customer.call('mutation', 'billing.activateTrial')).status).toBe(409);
    await customer.advanceDays(4);
    const before = await customer.overview();
    expect(before.plan).toBe('FREE');
    expect(before.trial.isEligible).toBe(true);
    const started = await customer.call('mutation', 'billing.activateTrial');
    expect(started.status).toBe(200);
    expect(started.data).toMatchObject({ plan: 'TRIAL', usage: { used: 0, limit: 50 } });
    const after = await customer.overview();
    expect(after).toMatchObject({ plan: 'TRIAL', usage: { limit: 50 }, trial: { isEligible: false } });
    expect(await customer.runs(3, 'own')).toEqual([200, 200, 200]);
    // The own trial replaced the window, recorded by the system; an extension starts from the trial.
    const audit = await listAudit(billing.server.deps.db, { accountId });
    expect(audit.map((row) => [row.action, row.actorUserId])).toEqual([
      ['own_trial_started', 'system'],
      ['extend_trial', support.user.id],
    ]);
    await staffCall(support, 'admin.setTrial', {
      accountId,
      mode: 'extend',
      until: daysFromNow(20),
      reason: 'more time',
    });
    const extended = await customer.overview();
    expect(extended.trial.startedAt).toBe(after.trial.startedAt);
    expect(extended.usage).toMatchObject({ used: 3, limit: 50 });
  });
});
