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

/** A team member's own counter for the period: runs they used and the cap an admin set (null: none). */
export interface MemberUsage {
  usedBefore: number;
  cap: number | null;
}

/**
 * May one more run start? Allowed iff nothing blocks the account, usedBefore < limit and, for a capped
 * team member, member.usedBefore < member.cap; an allowed run's `used` counts the run itself. The
 * database performs the real atomic check-and-consume with the same limits; this is the rule and the
 * shape of the answer.
 *
 * The pool is judged before the member's cap: when both are exhausted the answer is
 * USAGE_LIMIT_REACHED, because only an upgrade helps then. MEMBER_CAP_REACHED (with the member's own
 * used/cap as used/limit) therefore means the pool still has runs and an admin can raise the cap.
 */
export function decideRun(
  entitlement: Entitlement,
  usedBefore: number,
  member: MemberUsage | null = null,
): RunDecision {
  assertCount(usedBefore, 'usedBefore');
  if (member) {
    assertCount(member.usedBefore, 'member.usedBefore');
    if (member.cap !== null) assertCount(member.cap, 'member.cap');
  }
  const { plan, status, limit } = entitlement;
  const resetsAt = entitlement.period.end;
  const base = { plan, status, used: usedBefore, limit, resetsAt };

  if (entitlement.block) {
    return { allowed: false, code: entitlement.block.code, message: entitlement.block.message, ...base };
  }
  if (usedBefore >= limit) {
    const reached = entitlement.limitReached ?? {
      code: 'USAGE_LIMIT_REACHED' as const,
      message: usageLimitMessage(plan, limit),
    };
    return { allowed: false, ...reached, ...base };
  }
  if (member && member.cap !== null && member.usedBefore >= member.cap) {
    return {
      allowed: false,
      code: 'MEMBER_CAP_REACHED',
      message: memberCapMessage(member.cap),
      plan,
      status,
      used: member.usedBefore,
      limit: member.cap,
      resetsAt,
    };
  }
  const used = usedBefore + 1;
  return { allowed: true, plan, status, used, limit, remaining: limit - used, resetsAt };
}

function assertCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new AppError('INTERNAL', 'Invalid usage count', { [name]: value });
  }
}

/** Exported for the hot path, which decides MEMBER_CAP_REACHED from its own counters (design §3.2). */
export function memberCapMessage(cap: number): string {
  const runs = cap === 1 ? 'run' : 'runs';
  return `You have used all ${cap} agent ${runs} of your monthly cap on this team account. The team still has runs: ask an owner or admin to raise your cap, or wait for the next period.`;
}

/**
 * A team member's run refused by their own cap while the pool still had room: the cap is used up, or
 * the run's estimate is more than the cap leaves (then the 402 says how much it leaves). `used`/`limit`
 * are the member's own counter and cap, as in decideRun.
 */
export function memberCapDenial(
  entitlement: Entitlement,
  input: { used: number; cap: number; estimate: number },
): RunDenial {
  const { plan, status } = entitlement;
  const left = input.cap - input.used;
  const message =
    left > 0
      ? `This run reserves ${input.estimate} agent runs, but your monthly cap on this team account leaves ${left} (${input.used} of ${input.cap} used). Send a smaller estimate, or ask an owner or admin to raise your cap.`
      : memberCapMessage(input.cap);
  return {
    allowed: false,
    code: 'MEMBER_CAP_REACHED',
    message,
    plan,
    status,
    used: input.used,
    limit: input.cap,
    resetsAt: entitlement.period.end,
  };
}

/**
 * A run whose estimate doesn't fit in what is left (the allowance and packs still hold some runs, just
 * fewer than it reserves): the 402 says so, with the real counters, instead of "all runs used".
 */
export function estimateTooLargeDenial(
  entitlement: Entitlement,
  input: { used: number; left: number; estimate: number },
): RunDenial {
  const { plan, status, limit } = entitlement;
  const runs = input.left === 1 ? 'run is' : 'runs are';
  return {
    allowed: false,
    code: 'USAGE_LIMIT_REACHED',
    message: `This run reserves ${input.estimate} agent runs, but only ${input.left} ${runs} left. Send a smaller estimate, buy runs or upgrade your plan.`,
    plan,
    status,
    used: input.used,
    limit,
    resetsAt: entitlement.period.end,
  };
}

function usageLimitMessage(plan: PlanId, limit: number): string {
  const runs = limit === 1 ? 'run' : 'runs';
  return `You have used all ${limit} agent ${runs} of the ${getPlan(plan).name} plan for this period. Upgrade your plan or wait for the next period.`;
}

/**
 * The allowance and credits are spent and the account's overage reached its spend cap. `used`/`limit`
 * stay the plan's allowance; the cap itself is in the 402 body's `spendCap`.
 */
export function spendCapDenial(
  entitlement: Entitlement,
  input: { used: number; capRuns: number; setBy: 'account' | 'operator'; capLabel: string },
): RunDenial {
  const { plan, status, limit } = entitlement;
  const runs = input.capRuns === 1 ? 'run' : 'runs';
  const raise =
    input.setBy === 'account'
      ? 'An owner or admin can raise the cap in Settings, or buy runs.'
      : 'This cap was set by support: contact them to raise it, or buy runs.';
  return {
    allowed: false,
    code: 'SPEND_CAP_REACHED',
    message: `Your monthly spend cap of ${input.capLabel} (${input.capRuns} overage ${runs}) is reached. ${raise}`,
    plan,
    status,
    used: input.used,
    limit,
    resetsAt: entitlement.period.end,
  };
}
