import {
  accountBasics,
  applyPeriodLimit,
  ensurePersonalAccount,
  ensureUser,
  getSubscriptionState,
  getUsage,
  hasUsedTrial,
  personalAccountId,
  startTrialOnce,
  toSubscriptionState,
} from '@tollgate/db';
import {
  AppError,
  MS_PER_DAY,
  PLANS,
  canStartTrial,
  getPlan,
  resolveEntitlement,
  type SubscriptionState,
} from '@tollgate/domain';
import type { ApiDeps } from '../config';
import { displayAccountName } from '../notifications/billing-notices';
import { notify } from '../notifications/notifier';
import type { SubscriptionOverview } from '../schemas/billing-schemas';
import type { Tenant } from '../tenant';

export type { SubscriptionOverview };

export function createSubscriptionService(deps: ApiDeps) {
  const { db, now } = deps;

  /**
   * The account's stored subscription. A personal account seen for the first time (a host platform's
   * user) is made with its FREE subscription (idempotent, race-safe); any other account must exist.
   */
  async function loadState(tenant: Tenant): Promise<SubscriptionState> {
    const existing = await getSubscriptionState(db, tenant.accountId);
    if (existing) return existing;
    if (tenant.accountId !== personalAccountId(tenant.userId)) {
      throw new AppError('NOT_FOUND', 'No such account');
    }
    const at = now();
    await ensureUser(db, tenant.userId, at);
    await ensurePersonalAccount(db, tenant.userId, at);
    const created = await getSubscriptionState(db, tenant.accountId);
    if (!created) throw new Error('loadState: subscription missing after creating the account');
    return created;
  }

  function entitlementOf(state: SubscriptionState, at: Date) {
    return resolveEntitlement(state, at, { graceDays: deps.config.paymentGraceDays });
  }

  async function overview(tenant: Tenant): Promise<SubscriptionOverview> {
    const at = now();
    const state = await loadState(tenant);
    const entitlement = entitlementOf(state, at);
    const [used, isTrialUsedByPerson] = await Promise.all([
      getUsage(db, tenant.accountId, entitlement.period.start),
      hasUsedTrial(db, tenant),
    ]);
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
        // Once per person: not when the caller or an owner of the account started one anywhere.
        isEligible: canStartTrial(state, at) && !isTrialUsedByPerson,
        startedAt: isTrial ? state.trialStart : null,
        endsAt: trialEndsAt,
        daysLeft: trialEndsAt
          ? Math.max(0, Math.ceil((trialEndsAt.getTime() - at.getTime()) / MS_PER_DAY))
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

  async function activateTrial(tenant: Tenant): Promise<SubscriptionOverview> {
    const state = await loadState(tenant);
    if (state.trialUsedAt)
      throw new AppError('TRIAL_NOT_ALLOWED', 'This account has already used its free trial');
    if (!canStartTrial(state, now())) {
      throw new AppError('TRIAL_NOT_ALLOWED', 'A trial can only be started from the FREE plan');
    }
    // One conditional UPDATE decides: of concurrent calls, exactly one gets the row back.
    const at = now();
    const started = await startTrialOnce(db, tenant, at, {
      onStarted: async (tx, row) => {
        if (!row.trialEnd) return;
        await notify(
          tx,
          {
            email: {
              kind: 'trial_started',
              accountName: displayAccountName((await accountBasics(tx, tenant.accountId))?.name),
              trialEndsAt: row.trialEnd,
              runs: getPlan('TRIAL').runLimit ?? 0,
            },
            accountId: tenant.accountId,
            key: row.trialEnd.toISOString(),
            audience: { to: 'billing-admins', accountId: tenant.accountId },
          },
          at,
        );
      },
    });
    if (!started) throw new AppError('TRIAL_NOT_ALLOWED', 'This account has already used its free trial');
    // The trial's limit where admission reads it. The FREE period keeps its own: it is in force
    // again when the trial ends.
    const trial = entitlementOf(toSubscriptionState(started), at);
    await applyPeriodLimit(db, {
      accountId: tenant.accountId,
      period: trial.period,
      limit: trial.limit,
      previousPeriodStart: null,
    });
    return overview(tenant);
  }

  return { loadState, entitlementOf, overview, activateTrial };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
