import {
  consumeRun,
  consumeRunBatch,
  getSubscriptionsByUserIds,
  releaseRun,
  toSubscriptionState,
  type ConsumeRunInput,
  type ConsumeRunResult,
} from '@tollgate/db';
import {
  AppError,
  decideRun,
  toPaymentRequiredBody,
  type Entitlement,
  type PaymentRequiredBody,
  type RunDenial,
  type PlanId,
  type SubscriptionState,
  type SubscriptionStatus,
} from '@tollgate/domain';
import type { ApiDeps } from '../config';
import { createRunBatcher, type BatchItemResult } from './run-batcher';
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

/** One authorize call, stamped with the clock when it arrived. */
interface ChargeRequest {
  userId: string;
  runId: string;
  at: Date;
}

/** What the database decided for one run, and the entitlement it was decided against. */
interface Charge {
  entitlement: Entitlement;
  result: ConsumeRunResult;
}

export function createUsageService(deps: ApiDeps, subscriptions: SubscriptionService) {
  const { db, now, config, logger } = deps;
  const upgradeUrl = new URL('/settings/subscription?upgrade=1', config.appUrl).toString();

  function consumeInput(request: ChargeRequest, entitlement: Entitlement): ConsumeRunInput {
    // A blocked subscription consumes nothing, but a replayed run id still gets its first answer.
    const limit = entitlement.block ? 0 : entitlement.limit;
    const { userId, runId, at } = request;
    return { userId, runId, period: entitlement.period, limit, now: at };
  }

  /** The single-run path: one transaction per run (consumeRun). */
  async function chargeOne(request: ChargeRequest): Promise<Charge> {
    const state = await subscriptions.loadState(request.userId);
    const entitlement = subscriptions.entitlementOf(state, request.at);
    return { entitlement, result: await consumeRun(db, consumeInput(request, entitlement)) };
  }

  /**
   * The grouped path: the subscriptions of the whole group in one read, then every run in one
   * transaction (consumeRunBatch). A request whose state can't be loaded fails alone.
   */
  async function chargeBatch(requests: readonly ChargeRequest[]): Promise<BatchItemResult<Charge>[]> {
    const states = await loadStates(requests.map((request) => request.userId));
    const entitlements = requests.map((request): BatchItemResult<Entitlement> => {
      const state = states.get(request.userId);
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
    const results = await consumeRunBatch(
      db,
      runnable.map(({ request, entitlement }) => consumeInput(request, entitlement)),
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

  /** Stored subscriptions read at once; an account seen for the first time gets its FREE one. */
  async function loadStates(
    userIds: readonly string[],
  ): Promise<Map<string, BatchItemResult<SubscriptionState>>> {
    const rows = await getSubscriptionsByUserIds(db, userIds);
    const states = new Map<string, BatchItemResult<SubscriptionState>>();
    const missing: string[] = [];
    for (const userId of new Set(userIds)) {
      const row = rows.get(userId);
      if (row) states.set(userId, { ok: true, value: toSubscriptionState(row) });
      else missing.push(userId);
    }
    await Promise.all(
      missing.map((userId) =>
        subscriptions.loadState(userId).then(
          (value) => states.set(userId, { ok: true, value }),
          (error: unknown) => states.set(userId, { ok: false, error }),
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
        onBatchFailure: (error, size) =>
          logger.warn('grouped run authorization failed; retrying its runs one by one', {
            size,
            error: String(error),
          }),
      })
    : null;

  /**
   * Decides with the domain rules and consumes the run atomically in PostgreSQL (conditional counter
   * update plus a ledger row unique per run id): grouped with concurrent calls into one transaction
   * when run batching is on, else one transaction of its own. The answer comes only after the commit.
   * The same run id again returns an authorization without consuming. Denied → AppError
   * PAYMENT_REQUIRED carrying the 402 body.
   */
  async function authorize(userId: string, runId: string): Promise<RunAuthorization> {
    const request = { userId, runId, at: now() };
    const { entitlement, result } = batcher ? await batcher.submit(request) : await chargeOne(request);

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

  /**
   * Refunds a run whose task failed to start: once, and only within the release window. Releasing it
   * again answers the same (`isReplay: true`) and refunds nothing, so a client may safely retry a
   * release whose answer it lost.
   */
  async function release(
    userId: string,
    runId: string,
  ): Promise<{ runId: string; released: true; isReplay: boolean }> {
    const outcome = await releaseRun(db, { userId, runId, now: now(), windowMs: config.releaseWindowMs });
    switch (outcome) {
      case 'released':
        return { runId, released: true, isReplay: false };
      case 'already_released':
        return { runId, released: true, isReplay: true };
      case 'not_found':
        throw new AppError('NOT_FOUND', `No authorized run ${runId}`);
      case 'too_late':
        throw new AppError('RELEASE_NOT_ALLOWED', `Run ${runId} can no longer be released`);
    }
  }

  return {
    authorize,
    release,
    upgradeUrl,
    /** Grouping figures (null when run batching is off): how many runs each shared commit carried. */
    batchStats: () => batcher?.stats() ?? null,
    /** Sends the group being collected now and waits for every group in flight (shutdown, tests). */
    flush: () => batcher?.flush() ?? Promise.resolve(),
  };
}

function paymentRequired(denial: RunDenial, upgradeUrl: string): AppError {
  const body: PaymentRequiredBody = toPaymentRequiredBody(denial, upgradeUrl);
  return new AppError('PAYMENT_REQUIRED', body.error.message, { body });
}

export type UsageService = ReturnType<typeof createUsageService>;
