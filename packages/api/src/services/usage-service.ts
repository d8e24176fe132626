import { consumeRun, releaseRun } from '@tollgate/db';
import {
  AppError,
  decideRun,
  toPaymentRequiredBody,
  type PaymentRequiredBody,
  type RunDenial,
  type PlanId,
  type SubscriptionStatus,
} from '@tollgate/domain';
import type { ApiDeps } from '../config';
import type { SubscriptionService } from './subscription-service';

export interface RunAuthorization {
  runId: string;
  /** True when this run id was authorized before: nothing was consumed this time. */
  isReplay: boolean;
  plan: PlanId;
  status: SubscriptionStatus;
  used: number;
  limit: number;
  remaining: number;
  resetsAt: Date;
}

export function createUsageService(deps: ApiDeps, subscriptions: SubscriptionService) {
  const { db, now, config } = deps;
  const upgradeUrl = new URL('/settings/subscription?upgrade=1', config.appUrl).toString();

  /**
   * Decides with the domain rules and consumes one run in one PostgreSQL transaction (conditional
   * UPDATE … WHERE used < limit plus a ledger row unique per run id). The same run id again returns
   * an authorization without consuming. Denied → AppError PAYMENT_REQUIRED carrying the 402 body.
   */
  async function authorize(userId: string, runId: string): Promise<RunAuthorization> {
    const at = now();
    const state = await subscriptions.loadState(userId);
    const entitlement = subscriptions.entitlementOf(state, at);
    // A blocked subscription consumes nothing, but a replayed run id still gets its first answer.
    const limit = entitlement.block ? 0 : entitlement.limit;
    const result = await consumeRun(db, { userId, runId, period: entitlement.period, limit, now: at });

    const base = { runId, plan: entitlement.plan, status: entitlement.status, limit: entitlement.limit };
    const resetsAt = entitlement.period.end;
    if (result.outcome === 'consumed' || result.outcome === 'replayed') {
      return {
        ...base,
        isReplay: result.outcome === 'replayed',
        used: result.used,
        remaining: Math.max(0, entitlement.limit - result.used),
        resetsAt,
      };
    }
    if (result.outcome === 'released') {
      throw new AppError('CONFLICT', `Run ${runId} was released; start the task again with a new run id`);
    }
    // limit_reached: the database found used >= limit (or the block made the limit 0). The domain rule
    // words the denial; counting at least `limit` keeps the two from disagreeing.
    const denial = decideRun(entitlement, Math.max(result.used, entitlement.limit));
    if (denial.allowed) throw new AppError('INTERNAL', 'Run decision disagrees with the usage counter');
    throw paymentRequired(denial, upgradeUrl);
  }

  /** Refunds a run whose task failed to start: once, and only within the release window. */
  async function release(userId: string, runId: string): Promise<{ runId: string; released: true }> {
    const outcome = await releaseRun(db, { userId, runId, now: now(), windowMs: config.releaseWindowMs });
    switch (outcome) {
      case 'released':
        return { runId, released: true };
      case 'not_found':
        throw new AppError('NOT_FOUND', `No authorized run ${runId}`);
      case 'already_released':
        throw new AppError('RELEASE_NOT_ALLOWED', `Run ${runId} was already released`);
      case 'too_late':
        throw new AppError('RELEASE_NOT_ALLOWED', `Run ${runId} can no longer be released`);
    }
  }

  return { authorize, release, upgradeUrl };
}

function paymentRequired(denial: RunDenial, upgradeUrl: string): AppError {
  const body: PaymentRequiredBody = toPaymentRequiredBody(denial, upgradeUrl);
  return new AppError('PAYMENT_REQUIRED', body.error.message, { body });
}

export type UsageService = ReturnType<typeof createUsageService>;
