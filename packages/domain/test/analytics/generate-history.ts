import type {
  AuthorizationCount,
  OverageCharge,
  PackPurchase,
  PaymentRequiredRecord,
  PlanId,
  RunCount,
  SubscriptionChange,
  SubscriptionStatus,
  TrialRecord,
} from '../../src/index';

/**
 * A year and a quarter of a made-up business, from a seed: signups, trials (converted at their end, late,
 * or never), purchases, upgrades, downgrades, seat changes, coupons, yearly plans, failed payments
 * (past_due, then paid, unpaid or canceled), pauses, cancellations and reactivations, a few changes
 * exactly on a month's first or last millisecond, and the 402s, packs, runs and overage around them.
 */

/** mulberry32: a tiny seeded PRNG, so the history is the same on every run and every machine. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedHistory {
  changes: SubscriptionChange[];
  trials: TrialRecord[];
  denials: PaymentRequiredRecord[];
  packs: PackPurchase[];
  authorizations: AuthorizationCount[];
  runCounts: RunCount[];
  overage: OverageCharge[];
}

const DAY = 86_400_000;
export const HISTORY_START = Date.UTC(2023, 9, 1); // 2023-10-01: a quarter of history before the year
export const HISTORY_END = Date.UTC(2025, 0, 1);

type Offer = Pick<SubscriptionChange, 'plan' | 'priceCents' | 'interval' | 'quantity'>;

export function generateHistory(seed: number, accountCount: number): GeneratedHistory {
  const random = mulberry32(seed);
  const int = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
  const chance = (p: number): boolean => random() < p;
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
  const out: GeneratedHistory = {
    changes: [],
    trials: [],
    denials: [],
    packs: [],
    authorizations: [],
    runCounts: [],
    overage: [],
  };

  // Some changes land on a month's first or last millisecond, where an off-by-one would show.
  const when = (ms: number): number => {
    const date = new Date(ms);
    const roll = random();
    if (roll < 0.06) return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    if (roll < 0.12) return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) - 1;
    return ms;
  };
  const offer = (): Offer => {
    const plan = pick<PlanId>(['BASIC', 'BASIC', 'PRO', 'PRO', 'TEAM', 'ENTERPRISE']);
    const isYearly = chance(0.2);
    if (plan === 'TEAM')
      return {
        plan,
        priceCents: isYearly ? 15_000 : 1500,
        interval: isYearly ? 'year' : 'month',
        quantity: int(2, 12),
      };
    // Custom ENTERPRISE prices: any number of cents, so yearly ÷ 12 meets every remainder (half-cents too).
    const priceCents = plan === 'BASIC' ? 1900 : plan === 'PRO' ? 4900 : int(20_000, 90_000);
    return {
      plan,
      priceCents: isYearly ? priceCents * 10 + int(0, 11) : priceCents,
      interval: isYearly ? 'year' : 'month',
      quantity: 1,
    };
  };

  for (let n = 0; n < accountCount; n += 1) {
    const accountId = `acct_${String(n).padStart(3, '0')}`;
    let subscriptionCount = 0;
    let t = HISTORY_START + int(0, 450) * DAY + int(0, DAY - 1);
    const signedUpAt = t;
    // The subscription the next event changes (a holder: TypeScript doesn't follow closures' writes).
    const cursor: { current: SubscriptionChange | null } = { current: null };
    const push = (row: Omit<SubscriptionChange, 'accountId'>): void => {
      const full = { accountId, ...row };
      cursor.current = full;
      out.changes.push(full);
    };
    const startSubscription = (status: SubscriptionStatus, at: number): void => {
      subscriptionCount += 1;
      const discountCents = chance(0.15) ? pick([500, 1000, 99_999_999]) : 0;
      push({
        subscriptionId: `${accountId}_sub${subscriptionCount}`,
        at: new Date(at),
        status,
        discountCents,
        ...offer(),
      });
    };
    const change = (at: number, patch: Partial<SubscriptionChange>): void => {
      if (cursor.current) push({ ...cursor.current, ...patch, at: new Date(at) });
    };

    const path = random();
    if (path < 0.45) {
      // A 14-day trial: converted at its end, later, or never.
      const endsAt = t + 14 * DAY;
      out.trials.push({ accountId, startedAt: new Date(t), endsAt: new Date(endsAt) });
      startSubscription('trialing', t);
      const outcome = random();
      if (outcome < 0.5) change(endsAt, { status: 'active' });
      else {
        change(endsAt, { status: 'canceled' });
        // Late: some within the 30 days after the trial (converted), some after (not converted).
        if (outcome < 0.75) startSubscription('active', endsAt + int(1, 45) * DAY);
      }
      t = endsAt;
    } else if (path < 0.75) {
      t = when(t + int(0, 20) * DAY);
      if (chance(0.1)) {
        startSubscription('incomplete', t);
        t += int(0, 2) * DAY + 3600_000;
        change(t, { status: chance(0.7) ? 'active' : 'incomplete_expired' });
      } else startSubscription('active', t);
    } // else: FREE only, no subscription at all

    // Life after the first subscription, one event every few weeks.
    while (cursor.current !== null) {
      t = when(t + int(3, 80) * DAY);
      if (t >= HISTORY_END) break;
      const state = cursor.current;
      const isLive = state.status === 'active' || state.status === 'past_due';
      if (!isLive) {
        if (state.status === 'paused' && chance(0.5)) change(t, { status: 'active' });
        else if (chance(0.3))
          startSubscription('active', t); // reactivation: a new subscription
        else if (chance(0.5)) break;
        continue;
      }
      const roll = random();
      if (roll < 0.18)
        change(t, offer()); // an up-, down- or sidegrade
      else if (roll < 0.28 && state.plan === 'TEAM')
        change(t, { quantity: Math.max(1, state.quantity + int(-3, 3)) });
      else if (roll < 0.36) change(t, { discountCents: state.discountCents === 0 ? int(100, 3000) : 0 });
      else if (roll < 0.54) {
        change(t, { status: 'past_due' });
        t = when(t + int(1, 12) * DAY);
        const fate = random();
        change(t, { status: fate < 0.6 ? 'active' : fate < 0.8 ? 'unpaid' : 'canceled' });
      } else if (roll < 0.6) change(t, { status: 'paused' });
      else if (roll < 0.72) change(t, { status: 'canceled' });
      else if (roll < 0.75) {
        // A second subscription alongside the first (a migration overlap, or two products).
        startSubscription('active', t);
        cursor.current = state;
      }
    }

    // 402s, often a few days before a subscription change (so some upgrades follow their first 402).
    const ownRows = out.changes.filter((row) => row.accountId === accountId);
    for (let i = int(0, 3); i > 0; i -= 1) {
      const anchor =
        chance(0.5) && ownRows.length > 0
          ? pick(ownRows).at.getTime() - int(0, 10 * DAY)
          : signedUpAt + int(0, 200) * DAY;
      const at = Math.max(signedUpAt, Math.min(anchor, HISTORY_END - 1));
      out.denials.push({
        accountId,
        at: new Date(at),
        plan: pick<PlanId>(['FREE', 'TRIAL', 'BASIC', 'PRO', 'TEAM']),
      });
      if (chance(0.25))
        out.packs.push({ accountId, at: new Date(Math.min(at + int(0, 9 * DAY), HISTORY_END - 1)) });
    }

    // Runs and overage per month from the signup month on; boundary counts (10, 11, 2001…) come up often.
    for (
      let month = new Date(signedUpAt).getUTCMonth() + new Date(signedUpAt).getUTCFullYear() * 12;
      month < 2025 * 12;
      month += 1
    ) {
      const key = `${Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}`;
      const runs = chance(0.3)
        ? pick([0, 1, 10, 11, 50, 51, 100, 101, 1000, 1001, 2000, 2001])
        : int(0, 3000);
      const plan = pick<PlanId>(['FREE', 'BASIC', 'PRO', 'TEAM']);
      out.runCounts.push({ accountId, month: key, plan, runs });
      if (chance(0.2)) out.runCounts.push({ accountId, month: key, plan: 'PRO', runs: int(0, 50) });
      if (chance(0.15)) out.overage.push({ accountId, month: key, plan, cents: pick([0, int(1, 5000)]) });
    }
  }

  for (let month = 2023 * 12 + 9; month < 2025 * 12; month += 1) {
    const key = `${Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}`;
    for (const plan of ['FREE', 'BASIC', 'PRO'] as const) {
      out.authorizations.push({ month: key, plan, authorizations: int(0, 400) });
    }
  }
  return out;
}
