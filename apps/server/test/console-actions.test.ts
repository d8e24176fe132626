import { operatorAuditLog, personalAccountId, queryRows, stripeEvents, subscriptions } from '@tollgate/db';
import { desc, eq, isNotNull, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from './billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from './support/billing-server';
import { trpc, type Tokens } from './support/http';
import { registerOperator, registerSupport } from './support/operators';
import { registerVerifiedUser } from './support/test-server';

let billing: BillingTestServer;
let operator: Tokens;
let support: Tokens;
beforeAll(async () => {
  billing = await startBillingTestServer();
  operator = await registerOperator(billing.server);
  support = await registerSupport(billing.server);
});
afterEach(() => billing.emulator.faults.clear());
afterAll(() => billing?.stop());

const call = (kind: 'query' | 'mutation', path: string, input: unknown, token = operator.accessToken) =>
  trpc(billing.server.url, kind, path, input, token);

async function auditCount(): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(
    billing.server.deps.db,
    sql`select count(*) as n from operator_audit_log`,
  );
  return Number(row?.n ?? 0);
}

async function lastAudit() {
  const [row] = await billing.server.deps.db
    .select()
    .from(operatorAuditLog)
    .orderBy(desc(operatorAuditLog.id))
    .limit(1);
  return row;
}

async function subscriptionOf(accountId: string) {
  const [row] = await billing.server.deps.db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.accountId, accountId));
  return row;
}

async function subscribed(plan: 'BASIC' | 'PRO') {
  const customer = await Customer.signUp(billing);
  await customer.checkout(plan, CARDS.success);
  return { customer, accountId: personalAccountId(customer.userId) };
}

describe('admin.revokeCredits', () => {
  it('takes back what the grant holds on the next authorization; spent runs stay spent; once', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    const granted = await call('mutation', 'admin.grantCredits', {
      accountId,
      units: 5,
      expiresAt: null,
      reason: 'goodwill',
    });
    const grantId = (granted.data as { id: string }).id;
    // 10 Free runs, then 2 from the grant.
    expect(await customer.runs(12)).toEqual(Array(12).fill(200));
    const before = await auditCount();
    const revoked = await call('mutation', 'admin.revokeCredits', {
      accountId,
      grantId,
      reason: 'granted by mistake',
    });
    expect(revoked.status, JSON.stringify(revoked.error)).toBe(200);
    expect(revoked.data).toMatchObject({
      id: grantId,
      units: 5,
      remaining: 0,
      clawedBackUnits: 3,
      isSpendable: false,
    });
    expect(await auditCount()).toBe(before + 1);
    expect(await lastAudit()).toMatchObject({
      action: 'revoke_credits',
      accountId,
      actorUserId: operator.user.id,
      actorRole: 'operator',
      reason: 'granted by mistake',
      before: expect.objectContaining({ grantId, remaining: 3 }),
      after: expect.objectContaining({ grantId, remaining: 0, removedNow: 3 }),
    });
    expect((await customer.authorizeOne()).status).toBe(402);
    const balance = await customer.call('query', 'usage.balance');
    expect(balance.data).toMatchObject({ creditsRemaining: 0, totalRemaining: 0 });
    // Nothing left: 409, and no audit row.
    const again = await call('mutation', 'admin.revokeCredits', { accountId, grantId, reason: 'again' });
    expect(again.status).toBe(409);
    expect(await auditCount()).toBe(before + 1);
  });

  it('what a reserved run holds is owed: given back later, it is clawed back, not spendable', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    expect(await customer.runs(10)).toEqual(Array(10).fill(200));
    const granted = await call('mutation', 'admin.grantCredits', {
      accountId,
      units: 3,
      expiresAt: null,
      reason: 'x',
    });
    const grantId = (granted.data as { id: string }).id;
    expect((await customer.call('mutation', 'usage.authorize', { runId: 'held', estimate: 2 })).status).toBe(
      200,
    );
    const revoked = await call('mutation', 'admin.revokeCredits', { accountId, grantId, reason: 'fraud' });
    // 1 unit taken now; the target covers the 2 the run holds (returnRunUnits pays what is owed first).
    expect(revoked.data).toMatchObject({ remaining: 0, clawedBackUnits: 1, clawbackUnits: 3 });
    expect((await customer.authorizeOne()).status).toBe(402);
  });

  it('support gets 403; bad input 400; an unknown grant 404', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    const granted = await call('mutation', 'admin.grantCredits', {
      accountId,
      units: 5,
      expiresAt: null,
      reason: 'x',
    });
    const grantId = (granted.data as { id: string }).id;
    const before = await auditCount();
    const input = { accountId, grantId, reason: 'r' };
    expect((await call('mutation', 'admin.revokeCredits', input, support.accessToken)).status).toBe(403);
    expect((await call('mutation', 'admin.revokeCredits', { ...input, grantId: 'nope' })).status).toBe(400);
    expect((await call('mutation', 'admin.revokeCredits', { ...input, reason: '  ' })).status).toBe(400);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await call('mutation', 'admin.revokeCredits', { ...input, grantId: unknown })).status).toBe(404);
    expect((await call('mutation', 'admin.revokeCredits', { ...input, accountId: unknown })).status).toBe(
      404,
    );
    expect(await auditCount()).toBe(before);
  });
});

describe('admin.resync', () => {
  it('re-fetches the subscription and corrects drift; one audit row with before and after', async () => {
    const { accountId } = await subscribed('PRO');
    // Drift: the stored row says FREE while Stripe has PRO (a lost webhook, a manual edit).
    await billing.server.deps.db
      .update(subscriptions)
      .set({ plan: 'FREE', status: 'canceled' })
      .where(eq(subscriptions.accountId, accountId));
    const before = await auditCount();
    const result = await call('mutation', 'admin.resync', {
      accountId,
      reason: 'customer says PRO is missing',
    });
    expect(result.status, JSON.stringify(result.error)).toBe(200);
    expect(result.data).toMatchObject({
      isChanged: true,
      before: { plan: 'FREE', status: 'canceled' },
      after: { plan: 'PRO', status: 'active' },
    });
    expect(await subscriptionOf(accountId)).toMatchObject({ plan: 'PRO', status: 'active' });
    expect(await auditCount()).toBe(before + 1);
    expect(await lastAudit()).toMatchObject({
      action: 'resync',
      accountId,
      before: expect.objectContaining({ plan: 'FREE', status: 'canceled' }),
      after: expect.objectContaining({ plan: 'PRO', status: 'active' }),
    });
  });

  it('412 without a Stripe subscription; 502 when Stripe fails; 403 for support; nothing audited', async () => {
    const free = await Customer.signUp(billing);
    const { accountId } = await subscribed('BASIC');
    const before = await auditCount();
    const noStripe = await call('mutation', 'admin.resync', {
      accountId: personalAccountId(free.userId),
      reason: 'r',
    });
    expect(noStripe.status).toBe(412);
    expect(
      (await call('mutation', 'admin.resync', { accountId, reason: 'r' }, support.accessToken)).status,
    ).toBe(403);
    expect((await call('mutation', 'admin.resync', { accountId: 'x', reason: 'r' })).status).toBe(400);
    billing.emulator.faults.set({ method: 'GET', path: '/v1/subscriptions/:id', status: 500 });
    const down = await call('mutation', 'admin.resync', { accountId, reason: 'r' });
    expect(down.status).toBe(502);
    expect(down.error?.message).toMatch(/Stripe/);
    expect(await auditCount()).toBe(before);
  });
});

describe('admin.cancelSubscription', () => {
  it('at the period end, then now: each applied at once, one audit row each; then 409', async () => {
    const { accountId } = await subscribed('BASIC');
    const before = await auditCount();
    const atEnd = await call('mutation', 'admin.cancelSubscription', {
      accountId,
      atPeriodEnd: true,
      reason: 'asked by email',
    });
    expect(atEnd.status, JSON.stringify(atEnd.error)).toBe(200);
    expect(await subscriptionOf(accountId)).toMatchObject({
      plan: 'BASIC',
      status: 'active',
      cancelAtPeriodEnd: true,
    });
    expect(await auditCount()).toBe(before + 1);
    expect(await lastAudit()).toMatchObject({ action: 'cancel_at_period_end', reason: 'asked by email' });
    const now = await call('mutation', 'admin.cancelSubscription', {
      accountId,
      atPeriodEnd: false,
      reason: 'fraud',
    });
    expect(now.status, JSON.stringify(now.error)).toBe(200);
    expect((await subscriptionOf(accountId))?.status).toBe('canceled');
    expect(await auditCount()).toBe(before + 2);
    expect(await lastAudit()).toMatchObject({
      action: 'cancel_subscription',
      before: expect.objectContaining({ status: 'active', cancelAtPeriodEnd: true }),
      after: expect.objectContaining({ status: 'canceled' }),
    });
    await billing.emulator.webhooks.drain();
    const again = await call('mutation', 'admin.cancelSubscription', {
      accountId,
      atPeriodEnd: false,
      reason: 'x',
    });
    expect(again.status).toBe(409);
    expect(await auditCount()).toBe(before + 2);
  });

  it('403 for support, 400 for bad input, 502 when Stripe fails (nothing audited)', async () => {
    const { accountId } = await subscribed('BASIC');
    const before = await auditCount();
    const input = { accountId, atPeriodEnd: true, reason: 'r' };
    expect((await call('mutation', 'admin.cancelSubscription', input, support.accessToken)).status).toBe(403);
    expect((await call('mutation', 'admin.cancelSubscription', { accountId, reason: 'r' })).status).toBe(400);
    billing.emulator.faults.set({ method: 'POST', path: '/v1/subscriptions/:id', status: 500 });
    expect((await call('mutation', 'admin.cancelSubscription', input)).status).toBe(502);
    expect((await subscriptionOf(accountId))?.cancelAtPeriodEnd).toBe(false);
    expect(await auditCount()).toBe(before);
  });
});

describe('operator actions that had no audit row: exactly one each now', () => {
  it('operators.grant and operators.revoke (with or without a reason)', async () => {
    const helper = await registerVerifiedUser(billing.server);
    const before = await auditCount();
    const granted = await call('mutation', 'operators.grant', {
      userId: helper.user.id,
      role: 'support',
      reason: 'on call',
    });
    expect(granted.status).toBe(200);
    expect(await auditCount()).toBe(before + 1);
    expect(await lastAudit()).toMatchObject({
      action: 'grant_platform_role',
      accountId: null,
      reason: 'on call',
      before: { userId: helper.user.id, role: null },
      after: { userId: helper.user.id, role: 'support' },
    });
    const revoked = await call('mutation', 'operators.revoke', { userId: helper.user.id });
    expect(revoked.status).toBe(200);
    expect(await auditCount()).toBe(before + 2);
    expect(await lastAudit()).toMatchObject({
      action: 'revoke_platform_role',
      reason: '',
      before: { role: 'support' },
      after: { role: null },
    });
    // Refused: nothing written.
    expect((await call('mutation', 'operators.revoke', { userId: helper.user.id })).status).toBe(404);
    expect(await auditCount()).toBe(before + 2);
  });

  it('apiKeys.create and apiKeys.revoke: a platform key acts for every account', async () => {
    const before = await auditCount();
    const created = await call('mutation', 'apiKeys.create', {
      name: 'billing job',
      scopes: ['runs:authorize'],
    });
    expect(created.status).toBe(200);
    const key = created.data as { id: string; prefix: string };
    expect(await auditCount()).toBe(before + 1);
    expect(await lastAudit()).toMatchObject({
      action: 'create_api_key',
      actorUserId: operator.user.id,
      actorRole: 'operator',
      accountId: null,
      after: { keyId: key.id, name: 'billing job', prefix: key.prefix, scopes: ['runs:authorize'] },
    });
    expect((await call('mutation', 'apiKeys.revoke', { id: key.id })).status).toBe(200);
    expect(await auditCount()).toBe(before + 2);
    expect(await lastAudit()).toMatchObject({ action: 'revoke_api_key', before: { keyId: key.id } });
    // Refused (already revoked): nothing written.
    expect((await call('mutation', 'apiKeys.revoke', { id: key.id })).status).toBe(404);
    expect(await auditCount()).toBe(before + 2);
  });

  it('a customer or support with their own token makes or revokes no platform key, and writes no row', async () => {
    const live = await call('mutation', 'apiKeys.create', { name: 'kept', scopes: ['runs:authorize'] });
    const liveKey = live.data as { id: string };
    const before = await auditCount();
    const customer = await registerVerifiedUser(billing.server);
    for (const token of [customer.accessToken, support.accessToken]) {
      const made = await call(
        'mutation',
        'apiKeys.create',
        { name: 'mine', scopes: ['runs:authorize'] },
        token,
      );
      expect(made.status).toBe(403);
      expect(made.data).toBeUndefined();
      expect((await call('mutation', 'apiKeys.revoke', { id: liveKey.id }, token)).status).toBe(403);
    }
    expect(await auditCount()).toBe(before);
    // The operator's key is untouched: it still revokes once, by an operator.
    expect((await call('mutation', 'apiKeys.revoke', { id: liveKey.id })).status).toBe(200);
  });

  it('admin.reconcile and admin.replayWebhook', async () => {
    const { accountId } = await subscribed('BASIC');
    const before = await auditCount();
    const report = await call('mutation', 'admin.reconcile', { reason: 'after the outage' });
    expect(report.status).toBe(200);
    expect(await auditCount()).toBe(before + 1);
    expect(await lastAudit()).toMatchObject({
      action: 'reconcile',
      reason: 'after the outage',
      accountId: null,
    });
    expect((await call('mutation', 'admin.reconcile', undefined)).status).toBe(200);
    expect(await auditCount()).toBe(before + 2);
    const [event] = await billing.server.deps.db
      .select()
      .from(stripeEvents)
      .where(isNotNull(stripeEvents.accountId))
      .orderBy(desc(stripeEvents.receivedAt))
      .limit(1);
    if (!event) throw new Error('no stored event');
    const replayed = await call('mutation', 'admin.replayWebhook', { eventId: event.id, reason: 'check' });
    expect(replayed.status).toBe(200);
    expect(await auditCount()).toBe(before + 3);
    expect(await lastAudit()).toMatchObject({
      action: 'replay_webhook',
      before: expect.objectContaining({ eventId: event.id }),
      after: expect.objectContaining({ eventId: event.id }),
    });
    expect(accountId).toBeTruthy();
    // An event Stripe doesn't have: 404, nothing written.
    expect((await call('mutation', 'admin.replayWebhook', { eventId: 'evt_missing' })).status).toBe(404);
    expect(await auditCount()).toBe(before + 3);
  });
});
