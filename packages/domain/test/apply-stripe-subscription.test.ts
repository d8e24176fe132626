import { describe, expect, it } from 'vitest';
import {
  applyStripeSubscription,
  decideRun,
  parseStripeSubscription,
  resolveEntitlement,
  startTrialState,
  type PlanId,
  type StripeSubscriptionSnapshot,
  type SubscriptionState,
} from '../src/index';
import { fixtureObject } from './fixtures';
import { at, makeState } from './helpers';

const CLOVER = 'clover-2025-12-15';
const PRICES: Record<string, PlanId> = {
  price_basic: 'BASIC',
  price_pro: 'PRO',
  price_1Siwm1QEUxc7vavPVlfsihgO: 'PRO',
};
const planForPrice = (priceId: string): PlanId | null => PRICES[priceId] ?? null;
const GRACE = { graceDays: 7 };

function snapshot(overrides: Partial<StripeSubscriptionSnapshot> = {}): StripeSubscriptionSnapshot {
  return {
    id: 'sub_1',
    customerId: 'cus_1',
    status: 'active',
    priceId: 'price_pro',
    currentPeriodStart: at('2025-03-01T00:00:00Z'),
    currentPeriodEnd: at('2025-04-01T00:00:00Z'),
    cancelAtPeriodEnd: false,
    cancelAt: null,
    trialStart: null,
    trialEnd: null,
    created: at('2025-03-01T00:00:00Z'),
    metadataUserId: 'user_1',
    metadataAccountId: null,
    quantity: 1,
    recurringPrice: null,
    itemPriceIds: [],
    ...overrides,
  };
}

function activePro(): SubscriptionState {
  return applyStripeSubscription(makeState(), snapshot(), planForPrice, at('2025-03-01T00:00:05Z'));
}

describe('applyStripeSubscription', () => {
  it('a FREE account that subscribes becomes PRO with the Stripe period and ids', () => {
    expect(activePro()).toMatchObject({
      plan: 'PRO',
      status: 'active',
      currentPeriodStart: at('2025-03-01T00:00:00Z'),
      currentPeriodEnd: at('2025-04-01T00:00:00Z'),
      cancelAtPeriodEnd: false,
      pastDueSince: null,
      stripeCustomerId: 'cus_1',
      stripeSubscriptionId: 'sub_1',
      stripePriceId: 'price_pro',
    });
  });

  it('active -> past_due sets pastDueSince to now, and a later past_due update keeps it', () => {
    const firstSeen = at('2025-04-01T01:00:00Z');
    const pastDue = applyStripeSubscription(
      activePro(),
      snapshot({ status: 'past_due' }),
      planForPrice,
      firstSeen,
    );
    expect(pastDue).toMatchObject({ plan: 'PRO', status: 'past_due', pastDueSince: firstSeen });
    const retried = applyStripeSubscription(
      pastDue,
      snapshot({ status: 'past_due' }),
      planForPrice,
      at('2025-04-04T00:00:00Z'),
    );
    expect(retried.pastDueSince).toEqual(firstSeen);
    // The grace runs from the first sighting, not from the retry: 7 days from firstSeen.
    const graceEndsAt = at('2025-04-08T01:00:00Z');
    expect(resolveEntitlement(retried, at('2025-04-08T00:59:59.999Z'), GRACE)).toMatchObject({
      plan: 'PRO',
      limit: 1000,
      graceEndsAt,
      block: null,
    });
    // Past it: FREE runs over the FREE period (created 2024-01-31T08:00Z), then PAYMENT_PAST_DUE.
    const pastGrace = resolveEntitlement(retried, graceEndsAt, GRACE);
    expect(pastGrace).toMatchObject({
      plan: 'FREE',
      status: 'past_due',
      limit: 10,
      period: { start: at('2025-03-31T08:00:00Z'), end: at('2025-04-30T08:00:00Z') },
      graceEndsAt,
      block: null,
      limitReached: { code: 'PAYMENT_PAST_DUE' },
    });
    expect(decideRun(pastGrace, 9).allowed).toBe(true);
    expect(decideRun(pastGrace, 10)).toMatchObject({ allowed: false, code: 'PAYMENT_PAST_DUE' });
  });

  it('recovery from past_due clears pastDueSince', () => {
    const pastDue = applyStripeSubscription(
      activePro(),
      snapshot({ status: 'past_due' }),
      planForPrice,
      at('2025-04-01T01:00:00Z'),
    );
    const recovered = applyStripeSubscription(
      pastDue,
      snapshot({ status: 'active' }),
      planForPrice,
      at('2025-04-02T00:00:00Z'),
    );
    expect(recovered).toMatchObject({ status: 'active', pastDueSince: null, plan: 'PRO' });
  });

  it.each(['canceled', 'incomplete_expired'] as const)('%s -> FREE, ids kept for history', (status) => {
    const ended = applyStripeSubscription(
      activePro(),
      snapshot({ status }),
      planForPrice,
      at('2025-03-20T00:00:00Z'),
    );
    expect(ended).toMatchObject({
      plan: 'FREE',
      status,
      stripeCustomerId: 'cus_1',
      stripeSubscriptionId: 'sub_1',
      stripePriceId: 'price_pro',
    });
    expect(resolveEntitlement(ended, at('2025-03-20T00:00:00Z'), GRACE)).toMatchObject({
      plan: 'FREE',
      limit: 10,
      block: null,
    });
  });

  it.each(['unpaid', 'paused', 'incomplete'] as const)('%s keeps the plan but entitles FREE', (status) => {
    const state = applyStripeSubscription(
      activePro(),
      snapshot({ status }),
      planForPrice,
      at('2025-03-20T00:00:00Z'),
    );
    expect(state).toMatchObject({ plan: 'PRO', status });
    expect(resolveEntitlement(state, at('2025-03-20T00:00:00Z'), GRACE).plan).toBe('FREE');
  });

  it('an unknown price keeps the previous plan', () => {
    const state = applyStripeSubscription(
      activePro(),
      snapshot({ priceId: 'price_mystery' }),
      planForPrice,
      at('2025-03-02T00:00:00Z'),
    );
    expect(state).toMatchObject({ plan: 'PRO', stripePriceId: 'price_mystery' });
  });

  it('a snapshot without a price keeps the previous plan and price id', () => {
    const state = applyStripeSubscription(
      activePro(),
      snapshot({ priceId: null }),
      planForPrice,
      at('2025-03-02T00:00:00Z'),
    );
    expect(state).toMatchObject({ plan: 'PRO', stripePriceId: 'price_pro' });
  });

  it('asks planForPrice only about a price that exists', () => {
    const asked: unknown[] = [];
    const recording = (priceId: string): PlanId | null => {
      asked.push(priceId);
      return planForPrice(priceId);
    };
    applyStripeSubscription(activePro(), snapshot({ priceId: null }), recording, at('2025-03-02T00:00:00Z'));
    expect(asked).toEqual([]);
    applyStripeSubscription(
      activePro(),
      snapshot({ priceId: 'price_basic' }),
      recording,
      at('2025-03-02T00:00:00Z'),
    );
    expect(asked).toEqual(['price_basic']);
  });

  it('a plan change follows the new price', () => {
    const state = applyStripeSubscription(
      activePro(),
      snapshot({ priceId: 'price_basic' }),
      planForPrice,
      at('2025-03-02T00:00:00Z'),
    );
    expect(state.plan).toBe('BASIC');
  });

  it('keeps cancel_at_period_end, and the plan runs until the period end', () => {
    const state = applyStripeSubscription(
      activePro(),
      snapshot({ cancelAtPeriodEnd: true }),
      planForPrice,
      at('2025-03-02T00:00:00Z'),
    );
    expect(state).toMatchObject({ plan: 'PRO', status: 'active', cancelAtPeriodEnd: true });
    expect(resolveEntitlement(state, at('2025-03-31T23:59:59.999Z'), GRACE).plan).toBe('PRO');
    expect(resolveEntitlement(state, at('2025-04-01T00:00:00Z'), GRACE).plan).toBe('FREE');
    const reactivated = applyStripeSubscription(
      state,
      snapshot({ cancelAtPeriodEnd: false }),
      planForPrice,
      at('2025-03-03T00:00:00Z'),
    );
    expect(reactivated.cancelAtPeriodEnd).toBe(false);
  });

  it('a Stripe trial marks the trial as used, and it stays used after cancellation', () => {
    const trialStart = at('2025-03-01T00:00:00Z');
    const trialing = snapshot({ status: 'trialing', trialStart, trialEnd: at('2025-03-15T00:00:00Z') });
    const state = applyStripeSubscription(makeState(), trialing, planForPrice, trialStart);
    expect(state).toMatchObject({ plan: 'PRO', status: 'trialing', trialStart, trialUsedAt: trialStart });
    const canceled = applyStripeSubscription(
      state,
      snapshot({ status: 'canceled', trialStart, trialEnd: at('2025-03-15T00:00:00Z') }),
      planForPrice,
      at('2025-03-05T00:00:00Z'),
    );
    expect(canceled).toMatchObject({ plan: 'FREE', trialUsedAt: trialStart });
  });

  it('never clears trialUsedAt', () => {
    const used = at('2024-06-01T00:00:00Z');
    const state = applyStripeSubscription(
      makeState({ trialUsedAt: used }),
      snapshot(),
      planForPrice,
      at('2025-03-01T00:00:00Z'),
    );
    expect(state.trialUsedAt).toEqual(used);
  });

  it('a paid plan bought during a Tollgate trial replaces the trial and survives the old trial end', () => {
    const trial = startTrialState(makeState(), at('2025-03-01T00:00:00Z'));
    const upgraded = applyStripeSubscription(trial, snapshot(), planForPrice, at('2025-03-05T00:00:00Z'));
    expect(upgraded).toMatchObject({
      plan: 'PRO',
      status: 'active',
      trialUsedAt: at('2025-03-01T00:00:00Z'),
    });
    expect(resolveEntitlement(upgraded, at('2025-03-20T00:00:00Z'), GRACE)).toMatchObject({
      plan: 'PRO',
      limit: 1000,
    });
  });

  describe('an event about another subscription that grants nothing changes nothing', () => {
    it('a late `deleted` of the old subscription does not end the new one', () => {
      const canceledOld = applyStripeSubscription(
        activePro(),
        snapshot({ status: 'canceled' }),
        planForPrice,
        at('2025-03-10T00:00:00Z'),
      );
      const newSub = applyStripeSubscription(
        canceledOld,
        snapshot({ id: 'sub_2', priceId: 'price_basic' }),
        planForPrice,
        at('2025-03-11T00:00:00Z'),
      );
      const replayed = applyStripeSubscription(
        newSub,
        snapshot({ status: 'canceled' }),
        planForPrice,
        at('2025-03-12T00:00:00Z'),
      );
      expect(replayed).toEqual(newSub);
      expect(replayed).toMatchObject({ plan: 'BASIC', stripeSubscriptionId: 'sub_2' });
    });

    it('a replayed `deleted` of the old subscription does not end a Tollgate trial started after it', () => {
      const canceled = applyStripeSubscription(
        activePro(),
        snapshot({ status: 'canceled' }),
        planForPrice,
        at('2025-03-10T00:00:00Z'),
      );
      const trial = startTrialState(canceled, at('2025-03-11T00:00:00Z'));
      const replayed = applyStripeSubscription(
        trial,
        snapshot({ status: 'canceled' }),
        planForPrice,
        at('2025-03-12T00:00:00Z'),
      );
      expect(replayed).toEqual(trial);
      expect(resolveEntitlement(replayed, at('2025-03-12T00:00:00Z'), GRACE).plan).toBe('TRIAL');
    });

    it.each(['incomplete', 'incomplete_expired'] as const)(
      'an abandoned checkout (%s) does not end a running trial',
      (status) => {
        const trial = startTrialState(makeState(), at('2025-03-01T00:00:00Z'));
        const state = applyStripeSubscription(
          trial,
          snapshot({ id: 'sub_new', customerId: 'cus_9', status }),
          planForPrice,
          at('2025-03-02T00:00:00Z'),
        );
        expect(state).toEqual({ ...trial, stripeCustomerId: 'cus_9' });
      },
    );

    it('the same subscription becoming active afterwards is applied normally', () => {
      const trial = startTrialState(makeState(), at('2025-03-01T00:00:00Z'));
      const incomplete = applyStripeSubscription(
        trial,
        snapshot({ status: 'incomplete' }),
        planForPrice,
        at('2025-03-02T00:00:00Z'),
      );
      const active = applyStripeSubscription(
        incomplete,
        snapshot({ status: 'active' }),
        planForPrice,
        at('2025-03-02T00:01:00Z'),
      );
      expect(active).toMatchObject({ plan: 'PRO', status: 'active', stripeSubscriptionId: 'sub_1' });
    });
  });

  it('does not mutate its input', () => {
    const before = activePro();
    const copy = structuredClone(before);
    applyStripeSubscription(
      before,
      snapshot({ status: 'canceled' }),
      planForPrice,
      at('2025-03-10T00:00:00Z'),
    );
    expect(before).toEqual(copy);
  });
});

describe('applyStripeSubscription over the recorded clover lifecycle', () => {
  it('created -> cancel at period end -> deleted', () => {
    const created = parseStripeSubscription(fixtureObject(`${CLOVER}/customer.subscription.created.json`));
    const deleted = parseStripeSubscription(fixtureObject(`${CLOVER}/customer.subscription.deleted.json`));
    const start = makeState({ accountCreatedAt: at('2025-12-01T00:00:00Z') });

    const active = applyStripeSubscription(start, created, planForPrice, created.created);
    expect(active).toMatchObject({ plan: 'PRO', status: 'active', stripeSubscriptionId: created.id });
    expect(resolveEntitlement(active, created.created, GRACE)).toMatchObject({
      plan: 'PRO',
      limit: 1000,
      period: { start: created.currentPeriodStart, end: created.currentPeriodEnd },
    });

    const ended = applyStripeSubscription(active, deleted, planForPrice, new Date(1766886513 * 1000));
    expect(ended).toMatchObject({ plan: 'FREE', status: 'canceled', stripeSubscriptionId: created.id });
  });

  it('a renewal moves the usage period to the new one', () => {
    const renewal = parseStripeSubscription(
      fixtureObject(`${CLOVER}/customer.subscription.updated.renewal.json`),
    );
    const previous = makeState({
      plan: 'PRO',
      status: 'active',
      currentPeriodStart: new Date(1764553920 * 1000),
      currentPeriodEnd: new Date(1767232320 * 1000),
      stripeSubscriptionId: renewal.id,
    });
    const renewed = applyStripeSubscription(previous, renewal, planForPrice, new Date(1767232321 * 1000));
    const period = resolveEntitlement(renewed, new Date(1767232321 * 1000), GRACE).period;
    expect(period.start).toEqual(new Date(1767232320 * 1000));
    expect(period.start).not.toEqual(previous.currentPeriodStart);
  });
});
