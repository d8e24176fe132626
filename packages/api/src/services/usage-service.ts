import {
  getSpendSettings,
  getSubscriptionStates,
  isDatabaseUnavailable,
  recordPaymentRequired,
  releaseRun,
  reserveRuns,
  settleRun,
  startRun,
  sweepUnsettledRuns,
  sweepUnstartedRuns,
  type ReserveRunInput,
  type ReserveRunResult,
  type RunActor,
  type TransitionRefusal,
  type UsageLedgerRow,
} from '@tollgate/db';
import {
  AppError,
  DEFAULT_RUN_ESTIMATE,
  decideRun,
  effectiveCap,
  estimateTooLargeDenial,
  memberCapDenial,
  isAppError,
  isOverageBillable,
  overageAmountCents,
  spendCapDenial,
  type SpendCap,
  toPaymentRequiredBody,
  type Entitlement,
  type MemberUsage,
  type PaymentRequiredBody,
  type RunDenial,
  type SubscriptionState,
} from '@tollgate/domain';
import { formatMoney } from '@tollgate/mail';
import type { z } from 'zod';
import type { ApiDeps } from '../config';
import { infallibleMetrics } from '../metrics';
import type { AutoTopUp } from '../billing/auto-top-up';
import type { UsageAlerts } from '../notifications/usage-alerts';
import type {
  RunAuthorization,
  releasedRunSchema,
  settledRunSchema,
  startedRunStateSchema,
} from '../schemas/usage-schemas';
import type { Tenant } from '../tenant';
import { authorizedCodeOf, refusedCodeOf } from './authorize-outcome';
import { authorizeFingerprint } from './run-fingerprint';
import { createRunBatcher, type BatchItemResult } from './run-batcher';
import type { SubscriptionService } from './subscription-service';

export type { RunAuthorization };
/** `usage.start`'s answer. */
export type StartedRunState = z.input<typeof startedRunStateSchema>;
/** `usage.release`'s answer. */
export type ReleasedRun = z.input<typeof releasedRunSchema>;
/** `usage.settle`'s answer. */
export type SettledRun = z.input<typeof settledRunSchema>;

/** A started run never settled is settled at its estimate after this long, unless configured. */
const DEFAULT_SETTLE_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export interface ReserveRequest {
  tenant: Tenant;
  runId: string;
  actor: RunActor;
  fingerprint: string;
  /** Units to reserve (the caller's estimate of the run's cost; 1 when not said). */
  estimate?: number;
}

/** One reservation, stamped with the clock when it arrived. */
interface ChargeRequest extends ReserveRequest {
  at: Date;
}

/** What the database decided for one run, and the entitlement it was decided against. */
interface Charge {
  entitlement: Entitlement;
  result: ReserveRunResult;
}

export function createUsageService(
  deps: ApiDeps,
  subscriptions: SubscriptionService,
  usageAlerts: UsageAlerts,
  autoTopUp: AutoTopUp | null = null,
) {
  const { db, now, config, logger } = deps;
  const metrics = infallibleMetrics(deps.metrics);
  const upgradeUrl = new URL('/settings/subscription?upgrade=1', config.appUrl).toString();
  const buyRunsUrl = new URL('/settings/subscription?buy=1', config.appUrl).toString();
  const raiseCapUrl = new URL('/settings/subscription?cap=1', config.appUrl).toString();
  /** Overage is billed through the meter's price: without it (no Stripe, or not configured) there is none. */
  const overagePrice = deps.billing?.overage?.unitAmountDecimal ?? null;
  const overagePriceOf = (plan: Entitlement['plan']) => (isOverageBillable(plan) ? overagePrice : null);

  function reserveInput(request: ChargeRequest, entitlement: Entitlement): ReserveRunInput {
    const { tenant, runId, actor, fingerprint, at } = request;
    return {
      accountId: tenant.accountId,
      userId: tenant.userId,
      countsMember: tenant.kind === 'team',
      runId,
      period: entitlement.period,
      limit: entitlement.limit,
      units: request.estimate ?? DEFAULT_RUN_ESTIMATE,
      isBlocked: entitlement.block !== null,
      overagePrice: overagePriceOf(entitlement.plan),
      fingerprint,
      actor,
      now: at,
    };
  }

  /** The single-run path: the same one statement, with a group of one. */
  async function chargeOne(request: ChargeRequest): Promise<Charge> {
    const state = await subscriptions.loadState(request.tenant);
    const entitlement = subscriptions.entitlementOf(state, request.at);
    const [result] = await reserveRuns(db, [reserveInput(request, entitlement)]);
    if (!result) throw new Error('reserveRuns returned no result');
    return { entitlement, result };
  }

  /**
   * The grouped path: the subscriptions of the whole group in one read, then every run in one
   * statement (reserveRuns). A request whose state can't be loaded fails alone.
   */
  async function chargeBatch(requests: readonly ChargeRequest[]): Promise<BatchItemResult<Charge>[]> {
    const states = await loadStates(requests.map((request) => request.tenant));
    const entitlements = requests.map((request): BatchItemResult<Entitlement> => {
      const state = states.get(request.tenant.accountId);
      if (!state?.ok) return { ok: false, error: state?.error ?? new Error('subscription state missing') };
      try {
        return { ok: true, value: subscriptions.entitlementOf(state.value, request.at) };
      } catch (error) {
        return { ok: false, error };
      }
    });
    const runnable = requests.flatMap((request, i) => {
      const entitlement = entitlements[i];
      return entitlement?.ok ? [{ i, entitlement: entitlement.value, request }] : [];
    });
    const results = await reserveRuns(
      db,
      runnable.map(({ request, entitlement }) => reserveInput(request, entitlement)),
    );
    const charges: BatchItemResult<Charge>[] = entitlements.map((entitlement) =>
      entitlement.ok ? { ok: false, error: new Error('run was not part of the batch') } : entitlement,
    );
    runnable.forEach(({ i, entitlement }, k) => {
      const result = results[k];
      if (result) charges[i] = { ok: true, value: { entitlement, result } };
    });
    return charges;
  }

  /**
   * Stored subscriptions read at once, by account id; a personal account seen for the first time gets
   * its FREE one.
   */
  async function loadStates(
    tenants: readonly Tenant[],
  ): Promise<Map<string, BatchItemResult<SubscriptionState>>> {
    const stored = await getSubscriptionStates(
      db,
      tenants.map((tenant) => tenant.accountId),
    );
    const states = new Map<string, BatchItemResult<SubscriptionState>>();
    const missing = new Map<string, Tenant>();
    for (const tenant of tenants) {
      const state = stored.get(tenant.accountId);
      if (state) states.set(tenant.accountId, { ok: true, value: state });
      else missing.set(tenant.accountId, tenant);
    }
    await Promise.all(
      [...missing].map(([accountId, tenant]) =>
        subscriptions.loadState(tenant).then(
          (value) => states.set(accountId, { ok: true, value }),
          (error: unknown) => states.set(accountId, { ok: false, error }),
        ),
      ),
    );
    return states;
  }

  const batcher = config.runBatching
    ? createRunBatcher<ChargeRequest, Charge>({
        ...config.runBatching,
        runBatch: chargeBatch,
        runOne: chargeOne,
        // The database is gone (or the group's connection was lost): its callers get that error (503,
        // Retry-After) at once. A run whose statement committed before the answer was lost is found
        // again by the caller's retry with the same run id: a replay, never a second charge.
        shouldRetryAlone: (error) => !isDatabaseUnavailable(error),
        onBatch: (size, waitMs) => metrics.runBatch(size, waitMs / 1000),
        onBatchFailure: (error, size) =>
          logger.warn(
            isDatabaseUnavailable(error)
              ? 'grouped run reservation failed: database unavailable; its callers get 503'
              : 'grouped run reservation failed; retrying its runs one by one',
            { size, error: String(error) },
          ),
      })
    : null;

  /**
   * Reserves one run: decided by PostgreSQL against the limit stored on the period row, grouped with
   * concurrent calls into one statement when run batching is on. The answer comes only after the
   * statement committed. The same run id and fingerprint again is a replay (nothing counted; `state`
   * says where the run is); another fingerprint → RUN_ID_REUSED; denied → PAYMENT_REQUIRED (402 body).
   */
  async function reserve(request: ReserveRequest): Promise<RunAuthorization> {
    try {
      const authorization = await reserveOnce(request);
      metrics.authorizeOutcome(authorizedCodeOf(authorization));
      return authorization;
    } catch (error) {
      metrics.authorizeOutcome(refusedCodeOf(error));
      throw error;
    }
  }

  async function reserveOnce(request: ReserveRequest): Promise<RunAuthorization> {
    const charge = { ...request, at: now() };
    const { entitlement, result } = batcher ? await batcher.submit(charge) : await chargeOne(charge);
    if (autoTopUp && result.autoTopUpThreshold !== null) {
      // What this run saw of the spendable balance, as of its place among concurrent runs: exactly one
      // run sees the crossing.
      const after = Math.max(0, result.limit - result.used) + result.credits;
      const seen = {
        accountId: request.tenant.accountId,
        periodStart: entitlement.period.start,
        threshold: result.autoTopUpThreshold,
      };
      if (result.outcome === 'reserved') {
        const before = after + (request.estimate ?? DEFAULT_RUN_ESTIMATE) - result.unitsOverage;
        autoTopUp.observe({ ...seen, before, after });
      } else if (result.outcome === 'limit_reached' || result.outcome === 'spend_cap_reached') {
        // Refused for lack of balance (the spend cap refuses only once the allowance and the credits
        // are spent, and a pack's units come before overage): the account's settings say buy a pack
        // below the threshold, so a refusal asks too (throttled, never awaited: the caller gets its
        // 402 now and the pack serves the next run). Without it an account whose balance a settle
        // emptied, or whose card was declined, was refused for the rest of the period.
        autoTopUp.observe({ ...seen, before: after, after });
      }
    }
    if (result.outcome === 'reserved') {
      usageAlerts.observe([
        {
          accountId: request.tenant.accountId,
          period: entitlement.period,
          used: result.used,
          // Units drawn from packs and grants don't move the plan's counter: no alert for them.
          usedBefore: result.used - result.unitsFromAllowance,
          limit: result.limit,
        },
      ]);
    }
    try {
      return await answerOf(request, entitlement, result);
    } catch (error) {
      if (isAppError(error, 'PAYMENT_REQUIRED'))
        await countPaymentRequired(request, entitlement, error, charge.at);
      throw error;
    }
  }

  /**
   * Counts a 402 for analytics and the account's timeline, once per account, run id and day (a caller
   * retrying a refused run id counts once, as a granted run does). Best effort: a counter that can't be
   * written is logged, and the caller still gets its 402.
   */
  async function countPaymentRequired(
    request: ReserveRequest,
    entitlement: Entitlement,
    error: AppError,
    at: Date,
  ) {
    const { tenant, runId } = request;
    const body = error.details?.body as PaymentRequiredBody | undefined;
    const code = body?.error.code ?? 'PAYMENT_REQUIRED';
    try {
      await recordPaymentRequired(db, {
        accountId: tenant.accountId,
        plan: entitlement.plan,
        code,
        runId,
        at,
      });
    } catch (countError) {
      logger.warn('a 402 could not be counted', { accountId: tenant.accountId, error: String(countError) });
    }
  }

  async function answerOf(
    request: ReserveRequest,
    entitlement: Entitlement,
    result: ReserveRunResult,
  ): Promise<RunAuthorization> {
    const { runId } = request;
    switch (result.outcome) {
      case 'reserved':
      case 'replayed':
        return {
          runId,
          isReplay: result.outcome === 'replayed',
          state: result.state ?? 'reserved',
          plan: entitlement.plan,
          status: entitlement.status,
          used: result.used,
          limit: result.limit,
          remaining: Math.max(0, result.limit - result.used) + result.credits,
          credits: result.credits,
          reserved: request.estimate ?? DEFAULT_RUN_ESTIMATE,
          resetsAt: entitlement.period.end,
        };
      case 'fingerprint_mismatch':
        throw new AppError(
          'RUN_ID_REUSED',
          `Run id ${runId} was already used for another request; send a new run id for new work`,
        );
      case 'blocked':
        throw paymentRequired(denialOf(entitlement, result.used), upgradeUrl, null);
      case 'member_cap_reached': {
        // The database refused it by the member's own running sum: their cap is used up, or this run's
        // estimate is more than the cap leaves (decideRun, one run at a time, would allow that one).
        const denial = memberCapDenial(entitlement, {
          used: result.member?.used ?? 0,
          cap: result.member?.cap ?? 0,
          estimate: request.estimate ?? DEFAULT_RUN_ESTIMATE,
        });
        throw paymentRequired(denial, upgradeUrl, null);
      }
      case 'spend_cap_reached':
        throw await spendCapReached(request.tenant, entitlement, result);
      case 'limit_reached': {
        // The database found the units don't fit in what the allowance and the grants still hold; the
        // domain rule words the denial, and packs are offered next to upgrading.
        const limited = { ...entitlement, limit: result.limit };
        const left = Math.max(0, result.limit - result.used) + result.credits;
        if (left > 0) {
          const estimate = request.estimate ?? DEFAULT_RUN_ESTIMATE;
          const denial = estimateTooLargeDenial(limited, { used: result.used, left, estimate });
          throw paymentRequired(denial, upgradeUrl, buyRunsUrl);
        }
        throw paymentRequired(denialOf(limited, Math.max(result.used, result.limit)), upgradeUrl, buyRunsUrl);
      }
    }
  }

  /** The 402 of a run refused by the spend cap: the cap, what was spent against it, where to raise it. */
  async function spendCapReached(
    tenant: Tenant,
    entitlement: Entitlement,
    result: ReserveRunResult,
  ): Promise<AppError> {
    const settings = await getSpendSettings(db, tenant.accountId);
    const price = overagePrice ?? '1';
    const account = spendCapOf(settings?.capCents, settings?.capRuns);
    const operator = spendCapOf(settings?.operatorCapCents, settings?.operatorCapRuns);
    const cap = effectiveCap({ account, operator }, price) ?? { runs: 0, setBy: 'account' as const };
    const capSetting = cap.setBy === 'account' ? account : operator;
    const capCents = capSetting?.kind === 'money' ? capSetting.cents : null;
    const capLabel =
      capCents !== null ? formatMoney(capCents, 'usd') : `${cap.runs} ${cap.runs === 1 ? 'run' : 'runs'}`;
    const overageRuns = result.overage?.used ?? 0;
    const denial = spendCapDenial(
      { ...entitlement, limit: result.limit },
      { used: result.used, capRuns: cap.runs, setBy: cap.setBy, capLabel },
    );
    const body = toPaymentRequiredBody(denial, upgradeUrl, buyRunsUrl, {
      capRuns: cap.runs,
      capCents,
      setBy: cap.setBy,
      overageRuns,
      spentCents: overageAmountCents(overageRuns, price),
      raiseUrl: raiseCapUrl,
    });
    return new AppError('PAYMENT_REQUIRED', denial.message, { body });
  }

  /**
   * `usage.authorize` (a service key, or a user for themself): reserves the run. A released run id is
   * spent: it can't be reserved again.
   */
  async function authorize(
    actor: RunActor,
    tenant: Tenant,
    runId: string,
    requestHash?: string,
    estimate = DEFAULT_RUN_ESTIMATE,
  ): Promise<RunAuthorization> {
    const fingerprint = authorizeFingerprint(
      actor,
      requestHash,
      tenant.kind === 'team' ? tenant.userId : null,
      estimate,
    );
    const authorization = await reserve({ tenant, runId, actor, fingerprint, estimate });
    if (authorization.state === 'released') throw runReleased(runId);
    return authorization;
  }

  /**
   * `reserved → started`, by the caller that reserved the run: the one moment its work may begin.
   * Succeeds once per run id; any other start (a client's retry, a restarted service) is refused, so
   * no sequence of calls can start the same paid run twice. The same `attempt` again (a start whose
   * answer was lost) gets the same success, marked isReplay.
   */
  async function start(
    actor: RunActor,
    tenant: Tenant,
    runId: string,
    attempt?: string,
  ): Promise<StartedRunState> {
    const result = await startRun(db, { accountId: tenant.accountId, runId, actor, now: now(), attempt });
    if (result.ok) {
      const startedAt = result.entry.startedAt ?? now();
      return { runId, state: 'started', startedAt, isReplay: result.isRetry === true };
    }
    throw transitionError(result.reason, runId, 'start');
  }

  /**
   * `reserved → released` by the service that reserved the run (its work never started): the units go
   * back, once. Releasing again answers the same (`isReplay`) and refunds nothing.
   */
  async function release(actor: RunActor, tenant: Tenant, runId: string): Promise<ReleasedRun> {
    const result = await releaseRun(db, {
      accountId: tenant.accountId,
      runId,
      actor,
      reason: 'service',
      now: now(),
    });
    if (result.ok) return { runId, released: true, isReplay: false };
    if (result.reason === 'released') return { runId, released: true, isReplay: true };
    throw transitionError(result.reason, runId, 'release');
  }

  /**
   * `started → settled` by the service that reserved the run (a service key with runs:settle): the
   * work cost `actual` units. Below the estimate the rest goes back to the buckets it came from; above
   * it the overrun is charged up to what the balance still holds. A started run costs at least 1
   * (settling at 0 would give back a run that did work). Settling again with the same actual answers
   * the same (`isReplay`); with another one → 409 RUN_ALREADY_SETTLED.
   */
  async function settle(actor: RunActor, tenant: Tenant, runId: string, actual: number): Promise<SettledRun> {
    if (!Number.isInteger(actual) || actual < 1) {
      throw new AppError(
        'BAD_REQUEST',
        'actual must be a whole number of units, at least 1, for a started run',
      );
    }
    // An overrun may be drawn as overage when the plan bills it: the plan decides the price. Once the
    // run's own period is over (a renewal, a cancel), the overrun is drawn in the period in force now.
    const at = now();
    const entitlement = subscriptions.entitlementOf(await subscriptions.loadState(tenant), at);
    const result = await settleRun(db, {
      accountId: tenant.accountId,
      runId,
      actor,
      actual,
      now: at,
      overagePrice: overagePriceOf(entitlement.plan),
      periodInForce: { ...entitlement.period, limit: entitlement.limit },
    });
    if (result.ok) {
      // An overrun lowers the balance as a reservation does: auto top-up observes it (never awaited).
      const drawn = (result.entry.unitsSettled ?? result.entry.unitsReserved) - result.entry.unitsReserved;
      if (autoTopUp && drawn > 0) autoTopUp.observeOverrun(tenant.accountId, entitlement.period.start, drawn);
      return settledAnswer(result.entry, false);
    }
    const { entry } = result;
    if (result.reason === 'settled' && entry) {
      const askedBefore = entry.unitsActual ?? entry.unitsReserved;
      if (askedBefore === actual) return settledAnswer(entry, true);
      throw new AppError(
        'RUN_ALREADY_SETTLED',
        `Run ${runId} was already settled at ${askedBefore}; a settled run's cost is final`,
      );
    }
    if (result.reason === 'reserved') {
      throw new AppError(
        'RUN_NOT_STARTED',
        `Run ${runId} has not started: start it, or release it if its work never will`,
      );
    }
    throw transitionError(result.reason, runId, 'settle');
  }

  /** Settles at their estimate the runs started longer than the settle timeout ago; returns how many. */
  async function sweepUnsettled(batchSize = 500): Promise<number> {
    const at = now();
    const startedBefore = new Date(at.getTime() - (config.runSettleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS));
    let total = 0;
    for (;;) {
      const settled = await sweepUnsettledRuns(db, { startedBefore, now: at, limit: batchSize });
      total += settled.length;
      if (settled.length < batchSize) return total;
    }
  }

  /** Releases runs reserved longer than RUN_START_TIMEOUT ago and never started; returns how many. */
  async function sweepUnstarted(batchSize = 500): Promise<number> {
    const at = now();
    const reservedBefore = new Date(at.getTime() - config.runStartTimeoutMs);
    let total = 0;
    for (;;) {
      const swept = await sweepUnstartedRuns(db, { reservedBefore, now: at, limit: batchSize });
      total += swept.length;
      if (swept.length < batchSize) return total;
    }
  }

  return {
    reserve,
    authorize,
    start,
    release,
    settle,
    sweepUnstarted,
    sweepUnsettled,
    upgradeUrl,
    buyRunsUrl,
    /** Grouping figures (null when run batching is off): how many runs each shared statement carried. */
    batchStats: () => batcher?.stats() ?? null,
    /** Sends the group being collected now and waits for every group in flight (shutdown, tests). */
    flush: () => batcher?.flush() ?? Promise.resolve(),
  };
}

function denialOf(
  entitlement: Entitlement,
  usedBefore: number,
  member: MemberUsage | null = null,
): RunDenial {
  const denial = decideRun(entitlement, usedBefore, member);
  if (denial.allowed) throw new AppError('INTERNAL', 'Run decision disagrees with the usage counter');
  return denial;
}

function settledAnswer(entry: UsageLedgerRow, isReplay: boolean): SettledRun {
  const charged = entry.unitsSettled ?? entry.unitsReserved;
  return {
    runId: entry.runId,
    state: 'settled',
    estimate: entry.unitsReserved,
    actual: entry.unitsActual ?? entry.unitsReserved,
    charged,
    settledAt: entry.settledAt ?? new Date(),
    isReplay,
  };
}

function paymentRequired(denial: RunDenial, upgradeUrl: string, buyRunsUrl: string | null): AppError {
  const body: PaymentRequiredBody = toPaymentRequiredBody(denial, upgradeUrl, buyRunsUrl);
  return new AppError('PAYMENT_REQUIRED', body.error.message, { body });
}

export function runReleased(runId: string): AppError {
  return new AppError('RUN_RELEASED', `Run ${runId} was released; start the task again with a new run id`);
}

function transitionError(
  reason: TransitionRefusal,
  runId: string,
  action: 'start' | 'release' | 'settle',
): AppError {
  switch (reason) {
    case 'not_found':
      return new AppError('NOT_FOUND', `No reserved run ${runId}`);
    case 'other_actor':
      return new AppError(
        'FORBIDDEN',
        `Run ${runId} was reserved by another caller; only it may ${action} it`,
      );
    case 'released':
      return runReleased(runId);
    case 'started':
    case 'settled':
      if (action === 'start')
        return new AppError(
          'RUN_ALREADY_STARTED',
          `Run ${runId} has already started; its work can't start again`,
        );
      if (action === 'settle')
        return new AppError('RUN_ALREADY_SETTLED', `Run ${runId} could not be settled: its cost is final`);
      return new AppError('RELEASE_NOT_ALLOWED', `Run ${runId} has started; a started run is not released`);
    case 'reserved':
      // Only a release can miss a reserved row (the actor check passed): report it as not allowed.
      return new AppError('RELEASE_NOT_ALLOWED', `Run ${runId} could not be released`);
  }
}

export type UsageService = ReturnType<typeof createUsageService>;

function spendCapOf(cents: number | null | undefined, runs: number | null | undefined): SpendCap | null {
  return cents != null ? { kind: 'money', cents } : runs != null ? { kind: 'runs', runs } : null;
}
