import {
  createSession,
  deleteSession,
  ensureUser,
  getSession,
  insertRun,
  listRuns,
  listSessions,
  updateRunStatus,
} from '@tollgate/db';
import { AppError } from '@tollgate/domain';
import type { ApiDeps } from '../config';
import type { RunAuthorization, UsageService } from './usage-service';

/** Agent sessions, the metered resource. Every call is scoped to `userId` in the data layer. */
export function createSessionService(deps: ApiDeps, usage: UsageService) {
  const { db, runner, logger } = deps;

  async function requireSession(userId: string, sessionId: string) {
    const session = await getSession(db, userId, sessionId);
    if (!session) throw new AppError('NOT_FOUND', 'Session not found');
    return session;
  }

  return {
    async create(userId: string, title: string | undefined) {
      await ensureUser(db, userId);
      return createSession(db, userId, title?.trim() || 'New session');
    },

    list: (userId: string) => listSessions(db, userId),

    async get(userId: string, sessionId: string) {
      const session = await requireSession(userId, sessionId);
      return { ...session, runs: await listRuns(db, userId, sessionId) };
    },

    async delete(userId: string, sessionId: string) {
      if (!(await deleteSession(db, userId, sessionId))) throw new AppError('NOT_FOUND', 'Session not found');
      return { id: sessionId, deleted: true as const };
    },

    /** Checked before charging, so a wrong or foreign session id costs nothing. */
    requireSession,

    /**
     * Starts the agent task for a run that the guard has already authorized. If the task fails to
     * start, the run is released (refunded) and the error surfaces.
     */
    async startRun(userId: string, sessionId: string, message: string, authorization: RunAuthorization) {
      const { runId } = authorization;
      const inserted = await insertRun(db, { userId, sessionId, runId, prompt: message });
      if (inserted.outcome === 'session_not_found') throw new AppError('NOT_FOUND', 'Session not found');
      // The same run id again (a retried request): return what it produced, start nothing.
      if (inserted.outcome === 'duplicate') {
        if (inserted.run.sessionId !== sessionId) {
          throw new AppError('CONFLICT', `Run id ${runId} was used in another session`);
        }
        return { run: inserted.run, usage: authorization };
      }
      const { run } = inserted;
      try {
        const { reply } = await runner.start({ userId, runId, sessionId, message });
        const completed = await updateRunStatus(db, userId, runId, { status: 'completed', reply });
        return { run: completed ?? run, usage: authorization };
      } catch (error) {
        logger.warn('agent run failed to start; releasing it', { userId, runId, error: String(error) });
        await updateRunStatus(db, userId, runId, { status: 'failed', reply: null });
        await usage.release(userId, runId).catch(() => undefined);
        throw new AppError('INTERNAL', 'The agent could not start this run; it was not charged');
      }
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
