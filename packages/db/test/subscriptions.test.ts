import { canStartTrial, freeSubscriptionState, TRIAL_DAYS } from '@tollgate/domain';
import type { SubscriptionState } from '@tollgate/domain';
import { describe, expect, it } from 'vitest';
import {
  accountBasics,
  accounts,
  createTeamAccount,
  createUser,
  ensurePersonalAccount,
  getSubscriptionStates,
  personalAccountId,
  listStripeLinkedSubscriptions,
  lockSubscriptionRow,
  ensureFreeSubscription,
  ensureUser,
  findByStripeCustomerId,
  findByStripeSubscriptionId,
  getSubscription,
  getSubscriptionState,
  isUniqueViolation,
  linkStripeCustomer,
  recordEventOnce,
  startSubscriptionSync,
  startTrialOnce,
  subscriptions,
  toSubscriptionPatch,
  toSubscriptionState,
  updateSubscription,
} from '../src';
import { makeUser, useTestDb } from './fixtures';

const CREATED = new Date('2025-01-15T10:00:00Z');
const NOW = new Date('2025-03-10T12:00:00Z');
const DAY_MS = 24 * 60 * 60 * 1000;
/** An account id no account has (a well-formed UUID: account ids are uuid columns). */
const NOBODY = personalAccountId('nobody');

const handle = useTestDb();

/**
 * The user's personal account row alone (no membership, no subscription), as the migration or a
 * half-done ensurePersonalAccount leaves it: what ensureFreeSubscription and raw subscription inserts need.
 */
async function accountWithoutSubscription(user: { id: string; createdAt: Date }): Promise<string> {
  const id = personalAccountId(user.id);
  await handle.db.insert(accounts).values({
    id,
    kind: 'personal',
    personalUserId: user.id,
    createdByUserId: user.id,
    createdAt: user.createdAt,
  });
  return id;
}

describe('ensureFreeSubscription', () => {
  it('creates a FREE, active subscription once; later calls return it unchanged', async () => {
    const user = await createUser(handle.db, { email: 'free@example.test', createdAt: CREATED });
    const accountId = await accountWithoutSubscription(user);
    const first = await ensureFreeSubscription(handle.db, accountId, CREATED);
    expect(first).toMatchObject({ accountId, plan: 'FREE', status: 'active', trialUsedAt: null });
    await updateSubscription(handle.db, accountId, { plan: 'PRO', status: 'active' });
    const again = await ensureFreeSubscription(handle.db, accountId, NOW);
    expect(again.plan).toBe('PRO');
    expect(again.createdAt).toEqual(CREATED);
  });

  it('20 concurrent first calls create exactly one row', async () => {
    const user = await ensureUser(handle.db, 'host-platform-user-42', CREATED);
    const accountId = await accountWithoutSubscription(user);
    const rows = await Promise.all(
      Array.from({ length: 20 }, () => ensureFreeSubscription(handle.db, accountId, CREATED)),
    );
    expect(new Set(rows.map((row) => row.accountId))).toEqual(new Set([accountId]));
    const all = await handle.db.select().from(subscriptions);
    expect(all).toHaveLength(1);
  });

  it('ensureUser accepts any JWT subject and is idempotent', async () => {
    const [a, b] = await Promise.all([
      ensureUser(handle.db, 'auth0|abc'),
      ensureUser(handle.db, 'auth0|abc'),
    ]);
    expect(a.id).toBe('auth0|abc');
    expect(b.createdAt).toEqual(a.createdAt);
    expect(a.email).toBeNull();
  });
});

describe('startTrialOnce', () => {
  it('starts a 14-day trial from FREE and marks it used', async () => {
    const user = await makeUser(handle.db, CREATED);
    const row = await startTrialOnce(handle.db, user.owner, NOW);
    expect(row).toMatchObject({
      plan: 'TRIAL',
      status: 'trialing',
      trialStart: NOW,
      trialEnd: new Date(NOW.getTime() + TRIAL_DAYS * DAY_MS),
      trialUsedAt: NOW,
    });
  });

  it('20 concurrent calls give exactly one trial', async () => {
    const user = await makeUser(handle.db, CREATED);
    const rows = await Promise.all(
      Array.from({ length: 20 }, () => startTrialOnce(handle.db, user.owner, NOW)),
    );
    expect(rows.filter((row) => row !== null)).toHaveLength(1);
  });

  it('never twice, even after the trial ended', async () => {
    const user = await makeUser(handle.db, CREATED);
    expect(await startTrialOnce(handle.db, user.owner, NOW)).not.toBeNull();
    const afterTrial = new Date(NOW.getTime() + 30 * DAY_MS);
    expect(await startTrialOnce(handle.db, user.owner, afterTrial)).toBeNull();
    expect((await getSubscription(handle.db, user.accountId))?.trialStart).toEqual(NOW);
  });

  it('not from an active paid plan', async () => {
    const user = await makeUser(handle.db, CREATED);
    await updateSubscription(handle.db, user.accountId, {
      plan: 'PRO',
      status: 'active',
      stripeSubscriptionId: 'sub_1',
    });
    expect(await startTrialOnce(handle.db, user.owner, NOW)).toBeNull();
    expect((await getSubscription(handle.db, user.accountId))?.plan).toBe('PRO');
  });

  it("another account's trial is not this account's", async () => {
    const a = await makeUser(handle.db, CREATED);
    const b = await makeUser(handle.db, CREATED);
    await startTrialOnce(handle.db, a.owner, NOW);
    expect(await startTrialOnce(handle.db, b.owner, NOW)).not.toBeNull();
  });

  it('once per person: not on a team its user owns, nor by anyone on a team whose owner had one', async () => {
    const ada = await makeUser(handle.db, CREATED);
    const bob = await makeUser(handle.db, CREATED);
    expect(await startTrialOnce(handle.db, ada.owner, NOW)).not.toBeNull();
    const team = await handle.db.transaction((tx) =>
      createTeamAccount(tx, { userId: ada.id, name: 'Ada & co', now: NOW, perDayLimit: 5 }),
    );
    if (!team.ok) throw new Error('setup failed');
    expect(await startTrialOnce(handle.db, { accountId: team.account.id, userId: ada.id }, NOW)).toBeNull();
    expect(await startTrialOnce(handle.db, { accountId: team.account.id, userId: bob.id }, NOW)).toBeNull();
    expect(await getSubscriptionState(handle.db, team.account.id)).toMatchObject({
      accountKind: 'team',
      plan: 'FREE',
      trialUsedAt: null,
      accountCreatedAt: NOW,
    });
    // Bob's own trial is still his.
    expect(await startTrialOnce(handle.db, bob.owner, NOW)).not.toBeNull();
  });

  // The WHERE clause re-implements the domain's "effectively FREE" in SQL: both must agree.
  const base = freeSubscriptionState(CREATED);
  const past = new Date(NOW.getTime() - DAY_MS);
  const future = new Date(NOW.getTime() + DAY_MS);
  const paid = { ...base, plan: 'PRO' as const, currentPeriodStart: past, currentPeriodEnd: future };
  const cases: Array<[string, SubscriptionState]> = [
    ['FREE', base],
    ['FREE with a used trial', { ...base, trialUsedAt: past }],
    ['PRO active', { ...paid, status: 'active' }],
    ['PRO past_due', { ...paid, status: 'past_due', pastDueSince: past }],
    ['PRO canceled', { ...paid, status: 'canceled' }],
    ['PRO unpaid', { ...paid, status: 'unpaid' }],
    ['PRO incomplete', { ...paid, status: 'incomplete' }],
    ['PRO incomplete_expired', { ...paid, status: 'incomplete_expired' }],
    ['PRO paused', { ...paid, status: 'paused' }],
    ['BASIC canceling, period not over', { ...paid, plan: 'BASIC', cancelAtPeriodEnd: true }],
    [
      'BASIC canceling, period over',
      { ...paid, plan: 'BASIC', cancelAtPeriodEnd: true, currentPeriodEnd: past },
    ],
    [
      'BASIC canceling, period exactly over',
      { ...paid, plan: 'BASIC', cancelAtPeriodEnd: true, currentPeriodEnd: NOW },
    ],
    ['PRO Stripe trial running', { ...paid, status: 'trialing', trialStart: past, trialEnd: future }],
    ['PRO Stripe trial ended', { ...paid, status: 'trialing', trialStart: past, trialEnd: NOW }],
    ['ENTERPRISE active', { ...paid, plan: 'ENTERPRISE', status: 'active', customRunLimit: 500 }],
    [
      'TRIAL inside the window',
      { ...base, plan: 'TRIAL', status: 'trialing', trialStart: past, trialEnd: future },
    ],
    [
      'TRIAL after the window',
      { ...base, plan: 'TRIAL', status: 'trialing', trialStart: past, trialEnd: NOW },
    ],
    [
      'TRIAL before the window',
      { ...base, plan: 'TRIAL', status: 'trialing', trialStart: future, trialEnd: future },
    ],
    ['TRIAL without a window', { ...base, plan: 'TRIAL', status: 'trialing' }],
    ['TRIAL canceled', { ...base, plan: 'TRIAL', status: 'canceled', trialStart: past, trialEnd: future }],
  ];
  it.each(cases)('agrees with the domain canStartTrial: %s', async (_name, state) => {
    const user = await createUser(handle.db, { createdAt: CREATED });
    const accountId = await accountWithoutSubscription(user);
    await handle.db
      .insert(subscriptions)
      .values({ accountId, ...toSubscriptionPatch(state), plan: state.plan, status: state.status });
    const row = await startTrialOnce(handle.db, { accountId, userId: user.id }, NOW);
    expect(row !== null).toBe(canStartTrial({ ...state, accountCreatedAt: user.createdAt }, NOW));
  });
});

describe('Stripe links and state conversion', () => {
  it('finds subscriptions by Stripe customer and subscription id', async () => {
    const user = await makeUser(handle.db, CREATED);
    await updateSubscription(handle.db, user.accountId, { stripeSubscriptionId: 'sub_123' });
    expect(await linkStripeCustomer(handle.db, user.accountId, 'cus_123')).not.toBeNull();
    expect((await findByStripeCustomerId(handle.db, 'cus_123'))?.accountId).toBe(user.accountId);
    expect((await findByStripeSubscriptionId(handle.db, 'sub_123'))?.accountId).toBe(user.accountId);
    expect(await findByStripeCustomerId(handle.db, 'cus_unknown')).toBeNull();
  });

  it('startSubscriptionSync takes one new ticket per call, with the linked row or none', async () => {
    const user = await makeUser(handle.db, CREATED);
    await updateSubscription(handle.db, user.accountId, { stripeSubscriptionId: 'sub_sync' });
    const first = await startSubscriptionSync(handle.db, 'sub_sync');
    const unknown = await startSubscriptionSync(handle.db, 'sub_unknown');
    const second = await startSubscriptionSync(handle.db, 'sub_sync');
    expect(first.linked?.accountId).toBe(user.accountId);
    expect(first.linked?.stripeSubscriptionId).toBe('sub_sync');
    expect(first.linked?.createdAt).toBeInstanceOf(Date);
    expect(unknown.linked).toBeNull();
    // Each call reads the sequence exactly once, linked row or not: the tickets follow each other.
    expect([unknown.ticket - first.ticket, second.ticket - unknown.ticket]).toEqual([1, 1]);
    // A webhook's duplicate check rides along: asked only when an event id is given.
    expect([first, unknown, second].map((started) => started.isEventRecorded)).toEqual([false, false, false]);
    await recordEventOnce(handle.db, {
      id: 'evt_sync',
      type: 'customer.subscription.updated',
      stripeCreatedAt: NOW,
    });
    const recorded = await startSubscriptionSync(handle.db, 'sub_sync', 'evt_sync');
    const fresh = await startSubscriptionSync(handle.db, 'sub_sync', 'evt_other');
    expect([recorded.isEventRecorded, fresh.isEventRecorded]).toEqual([true, false]);
    expect(recorded.linked?.accountId).toBe(user.accountId);
    expect(fresh.ticket - recorded.ticket).toBe(1);
  });

  it('the raw reads of the webhook path (startSubscriptionSync, lockSubscriptionRow) map every column as drizzle does', async () => {
    const user = await makeUser(handle.db, CREATED);
    // Every column set (none null): a column added to the table without a value here fails below.
    await updateSubscription(handle.db, user.accountId, {
      plan: 'PRO',
      status: 'past_due',
      currentPeriodStart: new Date('2025-03-01T00:00:00.123Z'),
      currentPeriodEnd: new Date('2025-04-01T00:00:00Z'),
      cancelAtPeriodEnd: true,
      trialStart: new Date('2025-02-01T00:00:00Z'),
      trialEnd: new Date('2025-02-15T00:00:00Z'),
      trialUsedAt: new Date('2025-02-01T00:00:00Z'),
      pastDueSince: new Date('2025-03-02T00:00:00Z'),
      customRunLimit: 1234,
      stripeCustomerId: 'cus_full',
      stripeSubscriptionId: 'sub_full',
      stripePriceId: 'price_full',
      stripeQuantity: 3,
      overageItemSubscriptionId: 'sub_full',
      enterpriseDealClaimedUntil: new Date('2025-03-03T00:05:00Z'),
      unknownStripePriceId: 'price_unknown',
      stripeSyncedAt: new Date('2025-03-03T00:00:00Z'),
      stripeSyncTicket: 9_007_199_254_740_991,
      deletedStripeCustomerId: 'cus_deleted',
      updatedAt: NOW,
    });
    const expected = await getSubscription(handle.db, user.accountId);
    expect(expected && Object.entries(expected).filter(([, value]) => value === null)).toEqual([]);

    expect((await startSubscriptionSync(handle.db, 'sub_full')).linked).toEqual(expected);
    const locked = await handle.db.transaction((tx) => lockSubscriptionRow(tx, user.accountId));
    expect(locked).toEqual({ row: expected, basics: await accountBasics(handle.db, user.accountId) });
    expect(await handle.db.transaction((tx) => lockSubscriptionRow(tx, NOBODY))).toBeNull();
  });

  it('linkStripeCustomer never replaces a different customer and never shares one between accounts', async () => {
    const a = await makeUser(handle.db, CREATED);
    const b = await makeUser(handle.db, CREATED);
    await linkStripeCustomer(handle.db, a.accountId, 'cus_a');
    expect(await linkStripeCustomer(handle.db, a.accountId, 'cus_a')).not.toBeNull();
    expect(await linkStripeCustomer(handle.db, a.accountId, 'cus_other')).toBeNull();
    expect((await getSubscription(handle.db, a.accountId))?.stripeCustomerId).toBe('cus_a');
    const error = await linkStripeCustomer(handle.db, b.accountId, 'cus_a').then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(isUniqueViolation(error)).toBe(true);
  });

  it('round-trips the domain state, anchored on the account creation date', async () => {
    const user = await createUser(handle.db, { email: 'state@example.test', createdAt: CREATED });
    // The account takes the user's creation instant; its subscription row is made later, at NOW.
    const accountId = await ensurePersonalAccount(handle.db, user.id, NOW);
    const state: SubscriptionState = {
      ...freeSubscriptionState(CREATED),
      plan: 'PRO',
      status: 'past_due',
      currentPeriodStart: new Date('2025-03-01T00:00:00Z'),
      currentPeriodEnd: new Date('2025-04-01T00:00:00Z'),
      cancelAtPeriodEnd: true,
      pastDueSince: new Date('2025-03-05T00:00:00Z'),
      trialUsedAt: new Date('2025-02-01T00:00:00Z'),
      customRunLimit: null,
      stripeCustomerId: 'cus_1',
      stripeSubscriptionId: 'sub_1',
      stripePriceId: 'price_pro',
    };
    expect(await updateSubscription(handle.db, accountId, toSubscriptionPatch(state))).toBe(true);
    const row = await getSubscription(handle.db, accountId);
    if (!row) throw new Error('no row');
    expect(await getSubscriptionState(handle.db, accountId)).toEqual(state);
    expect(toSubscriptionState(row, { createdAt: CREATED, kind: 'personal' })).toEqual(state);
    // Without the account, the row's own creation is the anchor (and the account personal).
    expect(toSubscriptionState(row)).toMatchObject({ accountCreatedAt: NOW, accountKind: 'personal' });
    expect(await getSubscriptionState(handle.db, NOBODY)).toBeNull();
    expect(await updateSubscription(handle.db, NOBODY, { plan: 'PRO' })).toBe(false);
  });

  it('getSubscriptionStates reads many accounts at once, each anchored on its own creation date', async () => {
    const LATER = new Date('2025-02-20T08:00:00Z');
    const a = await makeUser(handle.db, CREATED);
    const b = await makeUser(handle.db, LATER);
    await updateSubscription(handle.db, b.accountId, { plan: 'PRO', status: 'active' });
    const states = await getSubscriptionStates(handle.db, [a.accountId, b.accountId, a.accountId, NOBODY]);
    expect([...states.keys()].sort()).toEqual([a.accountId, b.accountId].sort());
    expect(states.get(a.accountId)).toEqual(await getSubscriptionState(handle.db, a.accountId));
    expect(states.get(a.accountId)).toMatchObject({ plan: 'FREE', accountCreatedAt: CREATED });
    expect(states.get(b.accountId)).toMatchObject({ plan: 'PRO', accountCreatedAt: LATER });
    expect(await getSubscriptionStates(handle.db, [])).toEqual(new Map());
  });
});

describe('subscription sync helpers', () => {
  it('lockSubscriptionRow makes a second transaction wait for the first one to commit', async () => {
    const user = await makeUser(handle.db, CREATED);
    let releaseFirst = () => {};
    const firstHasLock = new Promise<void>((resolve) => {
      const gate = new Promise<void>((release) => (releaseFirst = release));
      void handle.db.transaction(async (tx) => {
        await lockSubscriptionRow(tx, user.accountId);
        resolve();
        await gate;
        await updateSubscription(tx, user.accountId, { plan: 'PRO', status: 'active' });
      });
    });
    await firstHasLock;
    const second = handle.db.transaction(
      async (tx) => (await lockSubscriptionRow(tx, user.accountId))?.row.plan,
    );
    // Let the second transaction reach its SELECT … FOR UPDATE before the first one writes.
    await new Promise((resolve) => setTimeout(resolve, 100));
    releaseFirst();
    expect(await second).toBe('PRO');
    expect(await handle.db.transaction((tx) => lockSubscriptionRow(tx, NOBODY))).toBeNull();
  });

  it('lockSubscriptionRow brings the account basics along in the same statement', async () => {
    const user = await makeUser(handle.db, CREATED);
    const locked = await handle.db.transaction((tx) => lockSubscriptionRow(tx, user.accountId));
    expect(locked?.row).toMatchObject({ accountId: user.accountId, plan: 'FREE' });
    expect(locked?.basics).toEqual({ createdAt: CREATED, kind: 'personal', name: null });
  });

  it('accountBasics and listStripeLinkedSubscriptions', async () => {
    const linked = await makeUser(handle.db, CREATED);
    await makeUser(handle.db, CREATED);
    await linkStripeCustomer(handle.db, linked.accountId, 'cus_linked');
    expect(await accountBasics(handle.db, linked.accountId)).toEqual({
      createdAt: CREATED,
      kind: 'personal',
      name: null,
    });
    expect(await accountBasics(handle.db, NOBODY)).toBeNull();
    expect((await listStripeLinkedSubscriptions(handle.db)).map((row) => row.accountId)).toEqual([
      linked.accountId,
    ]);
  });
});
