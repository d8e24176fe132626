import {
  createSession,
  deleteSession,
  ensureHostUserAccount,
  findRunByRunId,
  flagRunForReview,
  getSession,
  insertRun,
  listRuns,
  listSessions,
  releaseRun,
  settleRun,
  startRun,
  updateRunStatus,
  type AgentRunRow,
  type AgentSessionRow,
} from '@tollgate/db';
import { AppError } from '@tollgate/domain';
import type { z } from 'zod';
import type { ApiDeps } from '../config';
import type {
  agentSessionSchema,
  deletedSessionSchema,
  sessionWithRunsSchema,
  startedRunSchema,
} from '../schemas/session-schemas';
import { AgentBackendError } from '../runner/agent-runner';
import type { Tenant } from '../tenant';
import { toStorableText } from '../text-schemas';
import { SESSIONS_ACTOR, sessionRunFingerprint } from './run-fingerprint';
import { runReleased, type RunAuthorization, type UsageService } from './usage-service';

/** `sessions.run`: the agent run and the run it was charged as. */
export type StartedRun = z.input<typeof startedRunSchema>;
export type SessionView = z.input<typeof agentSessionSchema>;
export type SessionWithRuns = z.input<typeof sessionWithRunsSchema>;
export type DeletedSession = z.input<typeof deletedSessionSchema>;

/** What the owner sees of a session (deletion is internal: deleted sessions are simply not found). */
function toSessionView({ deletedAt: _deletedAt, ...session }: AgentSessionRow): SessionView {
  return session;
}

/** An agent's reply is stored up to this many characters (the rest is cut). */
export const MAX_STORED_REPLY_CHARACTERS = 100_000;

/** A retry that finds the run's work under way waits this long before asking again. */
const RUN_IN_PROGRESS_RETRY_SECONDS = 2;

/** Agent sessions, the metered resource. Every call is scoped to the tenant (account and member) in the data layer. */
export function createSessionService(deps: ApiDeps, usage: UsageService) {
  const { db, runner, logger, now } = deps;

  async function requireSession(tenant: Tenant, sessionId: string) {
    const session = await getSession(db, tenant, sessionId);
    if (!session) throw new AppError('NOT_FOUND', 'Session not found');
    return session;
  }

  /**
   * The run's work begins here and only here: the ledger's `reserved → started` (once per run id,
   * ever), the run record (which also bumps the session's updatedAt) in one transaction. Refused: another request
   * started it first, or the sweeper released it.
   */
  async function claimStart(tenant: Tenant, sessionId: string, runId: string, message: string) {
    return db.transaction(async (tx) => {
      const at = now();
      const started = await startRun(tx, {
        accountId: tenant.accountId,
        runId,
        actor: SESSIONS_ACTOR,
        now: at,
      });
      if (!started.ok) return { run: null, refusal: started.reason };
      const inserted = await insertRun(tx, { owner: tenant, sessionId, runId, prompt: message, now: at });
      // The session was checked before reserving; deleted since → nothing starts (rolls back).
      if (inserted.outcome !== 'created') throw new AppError('NOT_FOUND', 'Session not found');
      return { run: inserted.run, refusal: null };
    });
  }

  /** A retry of a run that is past `reserved`: the stored outcome, or "in progress"; never new work. */
  async function storedOutcome(tenant: Tenant, authorization: RunAuthorization): Promise<StartedRun> {
    const { runId } = authorization;
    if (authorization.state === 'released') throw runReleased(runId);
    const run = await findRunByRunId(db, tenant, runId);
    if (!run || run.status === 'started') {
      throw new AppError('RUN_IN_PROGRESS', `Run ${runId} is under way; ask again shortly`, {
        retryAfterSeconds: RUN_IN_PROGRESS_RETRY_SECONDS,
      });
    }
    return { run, usage: authorization };
  }

  /** Hands the started run to the runner and records what it answered (after, never inside, a transaction). */
  async function runAgent(
    tenant: Tenant,
    sessionId: string,
    run: AgentRunRow,
    usageAtStart: RunAuthorization,
  ): Promise<StartedRun> {
    const { runId } = run;
    let reply: string;
    try {
      ({ reply } = await runner.start({
        accountId: tenant.accountId,
        userId: tenant.userId,
        runId,
        sessionId,
        message: run.prompt,
      }));
    } catch (error) {
      if (error instanceof AgentBackendError && error.outcome === 'not_started') {
        logger.warn('agent backend did not start the run; releasing it', {
          accountId: tenant.accountId,
          userId: tenant.userId,
          runId,
          error: error.message,
        });
        await db.transaction(async (tx) => {
          await releaseRun(tx, {
            accountId: tenant.accountId,
            runId,
            actor: SESSIONS_ACTOR,
            reason: 'backend_not_started',
            now: now(),
            from: 'started',
          });
          await updateRunStatus(tx, tenant, runId, { status: 'failed', reply: null, now: now() });
        });
        throw new AppError('AGENT_NOT_STARTED', 'The agent could not start this run; it was not charged');
      }
      // Anything else may have reached the agent: the run stays charged, and an operator looks at it.
      logger.error('agent backend did not confirm the run; kept as charged and flagged', {
        accountId: tenant.accountId,
        userId: tenant.userId,
        runId,
        error: String(error),
      });
      await db.transaction(async (tx) => {
        await flagRunForReview(tx, { accountId: tenant.accountId, runId, reason: 'backend_outcome_unknown' });
        await updateRunStatus(tx, tenant, runId, { status: 'unconfirmed', reply: null, now: now() });
      });
      throw new AppError(
        'AGENT_UNCONFIRMED',
        'The agent did not confirm this run. It may still be working; it was charged and flagged for review',
      );
    }
    // The agent confirmed. Recording it is the database's part: if PostgreSQL is lost here the request
    // fails with 503 like any other (the run stays started and charged), never as the agent's failure.
    const completed = await db.transaction(async (tx) => {
      await settleRun(tx, { accountId: tenant.accountId, runId, actor: null, now: now() });
      // Stored as the agent sent it where PostgreSQL can hold it: a reply with a NUL must not fail
      // the record of a run that is already charged (its retries would find it in progress for good).
      const stored = toStorableText(reply, MAX_STORED_REPLY_CHARACTERS);
      return updateRunStatus(tx, tenant, runId, { status: 'completed', reply: stored, now: now() });
    });
    return { run: completed ?? run, usage: { ...usageAtStart, state: 'settled' } };
  }

  return {
    async create(tenant: Tenant, title: string | undefined): Promise<SessionView> {
      await ensureHostUserAccount(db, tenant.userId, now());
      return toSessionView(await createSession(db, tenant, title?.trim() || 'New session', now()));
    },

    list: async (tenant: Tenant): Promise<SessionView[]> =>
      (await listSessions(db, tenant)).map(toSessionView),

    async get(tenant: Tenant, sessionId: string): Promise<SessionWithRuns> {
      const session = await requireSession(tenant, sessionId);
      return { ...toSessionView(session), runs: await listRuns(db, tenant, sessionId) };
    },

    /** Hides the session; its runs and their charges stay (a run id is never free again). */
    async delete(tenant: Tenant, sessionId: string): Promise<DeletedSession> {
      if (!(await deleteSession(db, tenant, sessionId, now()))) {
        throw new AppError('NOT_FOUND', 'Session not found');
      }
      return { id: sessionId, deleted: true as const };
    },

    /**
     * The metered call. Reserves the run (402 when denied; a wrong or foreign session is a free 404,
     * checked first), then starts it once: a retry with the same message performs a start that never
     * happened, finds the work in progress (409 RUN_IN_PROGRESS) or answers the stored outcome; the
     * same run id with another session or message is RUN_ID_REUSED.
     */
    async run(
      tenant: Tenant,
      input: { sessionId: string; runId: string; message: string },
    ): Promise<StartedRun> {
      const { sessionId, runId, message } = input;
      await requireSession(tenant, sessionId);
      const fingerprint = sessionRunFingerprint(tenant.userId, sessionId, message);
      const authorization = await usage.reserve({ tenant, runId, actor: SESSIONS_ACTOR, fingerprint });
      if (authorization.state !== 'reserved') return storedOutcome(tenant, authorization);

      const { run, refusal } = await claimStart(tenant, sessionId, runId, message);
      if (!run) {
        // Another request with this run id started it since our reservation, or it timed out.
        const state = refusal === 'released' ? 'released' : 'started';
        return storedOutcome(tenant, { ...authorization, isReplay: true, state });
      }
      return runAgent(tenant, sessionId, run, { ...authorization, state: 'started' });
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
