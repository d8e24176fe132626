import {
  applyPeriodLimit,
  ensureFreeSubscription,
  ensureUser,
  getSubscription,
  getUsage,
  startTrialOnce,
  toSubscriptionState,
} from '@tollgate/db';
import { AppError, PLANS, canStartTrial, resolveEntitlement, type SubscriptionState } from '@tollgate/domain';
import type { ApiDeps } from '../config';
import type { SubscriptionOverview } from '../schemas/billing-schemas';

export type { SubscriptionOverview };

const DAY_MS = 86_400_000;

export function createSubscriptionService(deps: ApiDeps) {
  const { db, now } = deps;

  /** The account's stored subscription; a FREE one is created on first use (idempotent, race-safe). */
  async function loadState(userId: string): Promise<SubscriptionState> {
    const existing = await getSubscription(db, userId);
    if (existing) return toSubscriptionState(existing);
    await ensureUser(db, userId);
    return toSubscriptionState(await ensureFreeSubscription(db, userId, now()));
  }

  function entitlementOf(state: SubscriptionState, at: Date) {
    return resolveEntitlement(state, at, { graceDays: deps.config.paymentGraceDays });
  }

  async function overview(userId: string): Promise<SubscriptionOverview> {
    const at = now();
    const state = await loadState(userId);
    const entitlement = entitlementOf(state, at);
    const used = await getUsage(db, userId, entitlement.period.start);
    const isPaid = PLANS[entitlement.plan].isPaid;
    const isTrial =
      entitlement.plan === 'TRIAL' || (entitlement.status === 'trialing' && state.trialEnd !== null);
    const trialEndsAt = isTrial ? state.trialEnd : null;
    return {
      plan: entitlement.plan,
      planDetails: PLANS[entitlement.plan],
      status: entitlement.status,
      currentPeriod:
        isPaid && state.currentPeriodStart && state.currentPeriodEnd
          ? { start: state.currentPeriodStart, end: state.currentPeriodEnd }
          : null,
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      endsAt: isPaid && state.cancelAtPeriodEnd ? state.currentPeriodEnd : null,
      nextBillingAt: isPaid && !state.cancelAtPeriodEnd ? state.currentPeriodEnd : null,
      trial: {
        isEligible: canStartTrial(state, at),
        startedAt: isTrial ? state.trialStart : null,
        endsAt: trialEndsAt,
        daysLeft: trialEndsAt
          ? Math.max(0, Math.ceil((trialEndsAt.getTime() - at.getTime()) / DAY_MS))
          : null,
      },
      graceEndsAt: entitlement.graceEndsAt,
      blockedReason: entitlement.block?.message ?? null,
      usage: {
        used,
        limit: entitlement.limit,
        remaining: Math.max(0, entitlement.limit - used),
        periodStart: entitlement.period.start,
        resetsAt: entitlement.period.end,
      },
      hasStripeCustomer: state.stripeCustomerId !== null,
    };
  }

  async function activateTrial(userId: string): Promise<SubscriptionOverview> {
    const state = await loadState(userId);
    if (state.trialUsedAt)
      throw new AppError('TRIAL_NOT_ALLOWED', 'This account has already used its free trial');
    if (!canStartTrial(state, now())) {
      throw new AppError('TRIAL_NOT_ALLOWED', 'A trial can only be started from the FREE plan');
    }
    // One conditional UPDATE decides: of concurrent calls, exactly one gets the row back.
    const at = now();
    const started = await startTrialOnce(db, userId, at);
    if (!started) throw new AppError('TRIAL_NOT_ALLOWED', 'This account has already used its free trial');
    // The trial's limit where admission reads it. The FREE period keeps its own: it is in force
    // again when the trial ends.
    const trial = entitlementOf(toSubscriptionState(started), at);
    await applyPeriodLimit(db, {
      userId,
      period: trial.period,
      limit: trial.limit,
      previousPeriodStart: null,
    });
    return overview(userId);
  }

  return { loadState, entitlementOf, overview, activateTrial };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
