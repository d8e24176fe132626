import type { DenialCode, Entitlement } from './entitlement';
import { AppError } from './errors';
import { getPlan, type PlanId } from './plans';
import type { SubscriptionStatus } from './subscription-status';

export type RunDecision =
  | {
      allowed: true;
      plan: PlanId;
      status: SubscriptionStatus;
      used: number;
      limit: number;
      remaining: number;
      resetsAt: Date;
    }
  | {
      allowed: false;
      code: DenialCode;
      message: string;
      plan: PlanId;
      status: SubscriptionStatus;
      used: number;
      limit: number;
      resetsAt: Date;
    };

export type RunDenial = Extract<RunDecision, { allowed: false }>;

/**
 * May one more run start? Allowed iff nothing blocks the account and usedBefore < limit; an allowed
 * run's `used` counts the run itself. The database performs the real atomic check-and-consume with the
 * same limit; this is the rule and the shape of the answer.
 */
export function decideRun(entitlement: Entitlement, usedBefore: number): RunDecision {
  if (!Number.isInteger(usedBefore) || usedBefore < 0) {
    throw new AppError('INTERNAL', 'Invalid usage count', { usedBefore });
  }
  const { plan, status, limit } = entitlement;
  const resetsAt = entitlement.period.end;
  const base = { plan, status, used: usedBefore, limit, resetsAt };

  if (entitlement.block) {
    return { allowed: false, code: entitlement.block.code, message: entitlement.block.message, ...base };
  }
  if (usedBefore >= limit) {
    return { allowed: false, code: 'USAGE_LIMIT_REACHED', message: usageLimitMessage(plan, limit), ...base };
  }
  const used = usedBefore + 1;
  return { allowed: true, plan, status, used, limit, remaining: limit - used, resetsAt };
}

function usageLimitMessage(plan: PlanId, limit: number): string {
  const runs = limit === 1 ? 'run' : 'runs';
  return `You have used all ${limit} agent ${runs} of the ${getPlan(plan).name} plan for this period. Upgrade your plan or wait for the next period.`;
}
