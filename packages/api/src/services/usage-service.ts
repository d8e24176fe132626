import {
  getSubscriptionStates,
  isDatabaseUnavailable,
  releaseRun,
  reserveRuns,
  startRun,
  sweepUnstartedRuns,
  type ReserveRunInput,
  type ReserveRunResult,
  type RunActor,
  type TransitionRefusal,
} from '@tollgate/db';
import {
  AppError,
  decideRun,
  toPaymentRequiredBody,
  type Entitlement,
  type MemberUsage,
  type PaymentRequiredBody,
  type RunDenial,
  type SubscriptionState,
} from '@tollgate/domain';
import type { z } from 'zod';
import type { ApiDeps } from '../config';
import type { UsageAlerts } from '../notifications/usage-alerts';
import type { RunAuthorization, releasedRunSchema, startedRunStateSchema } from '../schemas/usage-schemas';
import type { Tenant } from '../tenant';
import { authorizeFingerprint } from './run-fingerprint';
import { createRunBatcher, type BatchItemResult } from './run-batcher';
import type { SubscriptionService } from './subscription-service';

export type { RunAuthorization };
/** `usage.start`'s answer. */
export type StartedRunState = z.input<typeof startedRunStateSchema>;
/** `usage.release`'s answer. */
export type ReleasedRun = z.input<typeof releasedRunSchema>;

export interface ReserveRequest {
  tenant: Tenant;
  runId: string;
  actor: RunActor;
  fingerprint: string;
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
) {
  const { db, now, config, logger } = deps;
  const upgradeUrl = new URL('/settings/subscription?upgrade=1', config.appUrl).toString();

  function reserveInput(request: ChargeRequest, entitlement: Entitlement): ReserveRunInput {
    const { tenant, runId, actor, fingerprint, at } = request;
    return {
      accountId: tenant.accountId,
      userId: tenant.userId,
      countsMember: tenant.kind === 'team',
      runId,
      period: entitlement.period,
      limit: entitlement.limit,
      units: 1,
      isBlocked: entitlement.block !== null,
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
    const charge = { ...request, at: now() };
    const { entitlement, result } = batcher ? await batcher.submit(charge) : await chargeOne(charge);
    const { runId } = request;
    if (result.outcome === 'reserved') {
      usageAlerts.observe([
        {
          accountId: request.tenant.accountId,
          period: entitlement.period,
          used: result.used,
          usedBefore: result.used - 1,
          limit: result.limit,
        },
      ]);
    }
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
          remaining: Math.max(0, result.limit - result.used),
          resetsAt: entitlement.period.end,
        };
      case 'fingerprint_mismatch':
        throw new AppError(
          'RUN_ID_REUSED',
          `Run id ${runId} was already used for another request; send a new run id for new work`,
        );
      case 'blocked':
        throw paymentRequired(denialOf(entitlement, result.used), upgradeUrl);
      case 'member_cap_reached':
        throw paymentRequired(
          denialOf(entitlement, Math.min(result.used, Math.max(0, entitlement.limit - 1)), {
            usedBefore: result.member?.used ?? 0,
            cap: result.member?.cap ?? 0,
          }),
          upgradeUrl,
        );
      case 'limit_reached': {
        // The database found used + units > the row's limit; the domain rule words the denial.
        const limited = { ...entitlement, limit: result.limit };
        throw paymentRequired(denialOf(limited, Math.max(result.used, result.limit)), upgradeUrl);
      }
    }
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
  ): Promise<RunAuthorization> {
    const fingerprint = authorizeFingerprint(
      actor,
      requestHash,
      tenant.kind === 'team' ? tenant.userId : null,
    );
    const authorization = await reserve({ tenant, runId, actor, fingerprint });
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
    sweepUnstarted,
    upgradeUrl,
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

function paymentRequired(denial: RunDenial, upgradeUrl: string): AppError {
  const body: PaymentRequiredBody = toPaymentRequiredBody(denial, upgradeUrl);
  return new AppError('PAYMENT_REQUIRED', body.error.message, { body });
}

export function runReleased(runId: string): AppError {
  return new AppError('RUN_RELEASED', `Run ${runId} was released; start the task again with a new run id`);
}

function transitionError(reason: TransitionRefusal, runId: string, action: 'start' | 'release'): AppError {
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
      return action === 'start'
        ? new AppError('RUN_ALREADY_STARTED', `Run ${runId} has already started; its work can't start again`)
        : new AppError('RELEASE_NOT_ALLOWED', `Run ${runId} has started; a started run is not released`);
    case 'reserved':
      // Only a release can miss a reserved row (the actor check passed): report it as not allowed.
      return new AppError('RELEASE_NOT_ALLOWED', `Run ${runId} could not be released`);
  }
}

export type UsageService = ReturnType<typeof createUsageService>;
