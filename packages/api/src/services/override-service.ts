import {
  applyPeriodLimit,
  changeAccountOverrides,
  getSubscriptionState,
  type Database,
  type OverridesChange,
  type PlatformRole,
} from '@tollgate/db';
import {
  AppError,
  activeComp,
  compPeriodAt,
  resolveEntitlement,
  type AccountOverrides,
  type Entitlement,
  type SubscriptionState,
} from '@tollgate/domain';
import type { ApiDeps } from '../config';
import { requireSupportDailyRoom } from './support-daily-bound';

export interface OverrideChangeInput {
  accountId: string;
  action: string;
  change: OverridesChange;
  reason: string;
  /** What else the action did, recorded with the overrides in the audit row's `after`. */
  auditDetail?: Record<string, unknown>;
  /**
   * Runs the change hands out (a fresh trial window), counted against support's daily bound: recorded
   * as `units` in the audit row, where the bound reads it.
   */
  supportBound?: { units: number; limit: number };
}

/** Who acts: the staff member, their platform role, and the request (for the audit row). */
export interface StaffActor {
  userId: string;
  role: PlatformRole;
  requestId: string | null;
}

/**
 * Operators' overrides of an account (a custom run limit, a comp, a trial extended or restarted): each
 * stored apart from the Stripe-derived state and written, with its one audit row, in one transaction
 * that also writes the new limit where admission reads it (the period row, under its lock). So it takes
 * effect on the very next authorization, and a later webhook sync (which applies the overrides on top
 * of what Stripe says) never undoes it.
 */
export function createOverrideService(deps: ApiDeps) {
  const { db, now, config } = deps;

  async function change(actor: StaffActor, input: OverrideChangeInput): Promise<AccountOverrides> {
    const reason = input.reason.trim();
    if (reason.length === 0) throw new AppError('BAD_REQUEST', 'a reason is required');
    const after = await db.transaction((tx) => changeIn(tx, actor, { ...input, reason }, now()));
    deps.logger.info('account override changed', {
      accountId: input.accountId,
      action: input.action,
      by: actor.userId,
    });
    return after;
  }

  /**
   * The change inside the caller's transaction (an ENTERPRISE deal records itself and clears the run
   * limit it supersedes in one): the overrides, their audit row and the period's limit.
   */
  async function changeIn(
    tx: Database,
    actor: StaffActor,
    input: OverrideChangeInput,
    at: Date,
  ): Promise<AccountOverrides> {
    const { supportBound } = input;
    const auditDetail = supportBound
      ? { ...input.auditDetail, units: supportBound.units }
      : input.auditDetail;
    if (supportBound) {
      await requireSupportDailyRoom(tx, { actorUserId: actor.userId, ...supportBound, at });
    }
    const state = await getSubscriptionState(tx, input.accountId);
    if (!state) throw new AppError('NOT_FOUND', `No account ${input.accountId}`);
    const result = await changeAccountOverrides(tx, {
      accountId: input.accountId,
      change: input.change,
      auditDetail,
      audit: {
        actorUserId: actor.userId,
        actorRole: actor.role,
        action: input.action,
        reason: input.reason,
        requestId: actor.requestId,
        at,
      },
    });
    await writeLimit(
      tx,
      input.accountId,
      { ...state, overrides: result.before },
      { ...state, overrides: result.after },
      at,
    );
    return result.after;
  }

  /** The limit the change gives, where admission reads it (see applyPeriodLimit). */
  async function writeLimit(
    tx: Database,
    accountId: string,
    before: Parameters<typeof resolveEntitlement>[0],
    after: Parameters<typeof resolveEntitlement>[0],
    at: Date,
  ): Promise<void> {
    const options = { graceDays: config.paymentGraceDays };
    const previous = resolveEntitlement(before, at, options);
    const current = resolveEntitlement(after, at, options);
    const isSamePeriod = previous.period.start.getTime() === current.period.start.getTime();
    if (previous.limit === current.limit && isSamePeriod) return;
    // A comp starting covers the account's own period (paid or trial) without ending it: when the comp
    // ends on its date (no code runs then) that period is in force again, with what it had left. So it
    // stays open; closed, its paid runs would all answer 402 until Stripe's next period.
    const isCoveredByComp = isCompInEffect(after, current, at) && !isCompInEffect(before, previous, at);
    const isLeftForGood = !(previous.plan === 'FREE' || isSamePeriod || isCoveredByComp);
    await applyPeriodLimit(tx, {
      accountId,
      period: current.period,
      limit: current.limit,
      // A period left behind for good is closed; a FREE anniversary period comes back, so never.
      previousPeriodStart: isLeftForGood ? previous.period.start : null,
    });
  }

  return { change, changeIn };
}

/** Does the entitlement come from the state's comp (in force, and not outdone by a paid plan)? */
function isCompInEffect(state: SubscriptionState, entitlement: Entitlement, at: Date): boolean {
  const comp = state.overrides ? activeComp(state.overrides, at) : null;
  if (!comp) return false;
  const period = compPeriodAt(comp.from, comp.until, at);
  return entitlement.plan === comp.plan && entitlement.period.start.getTime() === period.start.getTime();
}

export type OverrideService = ReturnType<typeof createOverrideService>;
