import { createHash } from 'node:crypto';
import {
  getTollgateRun,
  requireRun,
  toTollgateError,
  type RunAuthorization,
  type TollgateClient,
} from '@tollgate/sdk';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { createLostStarts } from './lost-starts';
import { createInMemoryTaskRunner, type TaskOwner, type TaskRunner } from './task-runner';

export interface AgentBackendOptions {
  /** A Tollgate client with a service API key (scopes runs:authorize and runs:release). */
  tollgate: Pick<TollgateClient, 'authorizeRun' | 'startRun' | 'releaseRun'>;
  tasks?: TaskRunner;
}

/** Set by the gateway in front of this service after it authenticated the user (see README). */
export const USER_ID_HEADER = 'x-user-id';
/**
 * Optional, set by the gateway too: the team account (Tollgate's account id) the user works in; the
 * task's run is charged to that team's pool. Absent: the user's personal account.
 */
export const ACCOUNT_ID_HEADER = 'x-account-id';
const RUN_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ACCOUNT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
/** Calls of markStarted() per request when Tollgate's answer is lost (each with the SDK's own retries). */
const START_TRIES = 3;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The agent backend: `POST /tasks` starts an agent task, and each started task costs one Tollgate run. */
export function createAgentBackend({ tollgate, tasks = createInMemoryTaskRunner() }: AgentBackendOptions) {
  const lostStarts = createLostStarts();

  /**
   * Takes a place in the pool, records the start with Tollgate (`start`), then begins the task. A pool
   * that can't take the task throws before anything started: the error answer makes requireRun
   * release the run. A start without an answer is asked again (the same attempt: Tollgate answers a
   * start it recorded as a success) up to START_TRIES times, then `onUnanswered` and 503.
   */
  async function startTask(
    req: Request,
    res: Response,
    run: RunAuthorization,
    start: () => Promise<void>,
    onUnanswered: () => void,
  ): Promise<void> {
    const slot = await tasks.prepare({ ...ownerOf(req), runId: run.runId, prompt: taskBodyOf(req).prompt });
    for (let attempt = 1; ; attempt += 1) {
      try {
        await start();
        res.status(202).json({ task: slot.begin(), usage: usageOf(run) });
        return;
      } catch (error) {
        const failure = toTollgateError(error);
        const isUnanswered = failure.httpStatus === null || failure.httpStatus >= 500;
        if (isUnanswered && attempt < START_TRIES) continue;
        slot.cancel();
        // A 429 (the proxy's rate limit) is not retried at once: that would keep the limit going.
        if (isUnanswered || failure.httpStatus === 429) {
          // Tollgate may have recorded the start: the same request again finishes it (onAlreadyStarted).
          onUnanswered();
          res.status(503).json({
            error: {
              code: 'TOLLGATE_UNAVAILABLE',
              message: `Tollgate did not confirm the start of run ${run.runId}; send the same request again`,
            },
          });
          return;
        }
        // Another request started the run, or it was released (its start timeout passed).
        if (failure.code === 'RUN_ALREADY_STARTED' || failure.code === 'RUN_RELEASED') {
          res.status(409).json({ error: { code: failure.code, message: failure.message } });
          return;
        }
        throw failure; // any other refusal (a key without the scope, …) is this service's fault: 500
      }
    }
  }

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.post(
    '/tasks',
    // Checked before requireRun: a malformed request costs nothing, not even a reserve-and-release.
    validateTaskBody,
    requireRun({
      client: tollgate,
      getUserId: userIdOf,
      getAccountId: accountIdOf,
      getRunId: (req) => taskBodyOf(req).runId,
      // The same run id for another prompt is refused by Tollgate (409 RUN_ID_REUSED), not replayed.
      getRequestHash: (req) => createHash('sha256').update(taskBodyOf(req).prompt).digest('base64url'),
      // A retry of a run whose task started before: the same task if this process remembers it.
      onAlreadyStarted: async (req, res, run) => {
        const owner = ownerOf(req);
        const existing = tasks.findByRunId(owner, run.runId);
        if (existing) {
          res.status(200).json({ task: existing, usage: usageOf(run) });
          return;
        }
        // This process answered 503 to an earlier request whose start Tollgate recorded (the answer
        // was lost): its attempt id makes Tollgate answer that start again, so the task runs now, once.
        // Taken before any await, so of concurrent resends only one finishes it.
        const attemptId = run.state === 'started' ? lostStarts.take(owner, run.runId) : undefined;
        if (attemptId) {
          const target = { userId: owner.userId, ...(owner.accountId ? { accountId: owner.accountId } : {}) };
          const start = () =>
            tollgate.startRun({ ...target, runId: run.runId, attemptId }).then(() => undefined);
          const keep = () => lostStarts.put(owner, run.runId, attemptId);
          // A pool that can't take the task now: a later resend may still finish the start.
          await startTask(req, res, run, start, keep).catch((error: unknown) => {
            keep();
            throw error;
          });
          return;
        }
        const isReleased = run.state === 'released';
        // Started by another replica, or before a restart: the agent may be working; start nothing.
        res.status(409).json({
          error: isReleased
            ? {
                code: 'RUN_RELEASED',
                message: `Run ${run.runId} was released; send the task with a new run id`,
              }
            : { code: 'RUN_ALREADY_STARTED', message: `Run ${run.runId} has already started` },
        });
      },
    }),
    async (req, res) => {
      const run = getTollgateRun(res);
      if (!run) throw new Error('POST /tasks must be guarded by requireRun');
      // Tollgate's one-time start: of any number of requests with this run id, one gets past it.
      await startTask(
        req,
        res,
        run,
        () => run.markStarted(),
        () => lostStarts.put(ownerOf(req), run.runId, run.attemptId),
      );
    },
  );

  app.use((req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.path}` } });
  });
  app.use(jsonErrors);
  return app;
}

function usageOf(run: RunAuthorization) {
  return { used: run.used, limit: run.limit, remaining: run.remaining };
}

function userIdOf(req: Request): string {
  const userId = req.get(USER_ID_HEADER)?.trim();
  if (!userId) throw new HttpError(401, 'UNAUTHORIZED', `The ${USER_ID_HEADER} header is required`);
  // Node reads header bytes as Latin-1, so a UTF-8 id would reach Tollgate as another (garbled) id.
  if (!PRINTABLE_ASCII.test(userId)) {
    throw new HttpError(400, 'BAD_REQUEST', `The ${USER_ID_HEADER} header must be printable ASCII`);
  }
  return userId;
}

/** The team account named by the gateway, or null: the user's personal account pays. */
function accountIdOf(req: Request): string | null {
  const accountId = req.get(ACCOUNT_ID_HEADER)?.trim();
  if (!accountId) return null;
  if (!ACCOUNT_ID.test(accountId)) {
    throw new HttpError(400, 'BAD_REQUEST', `The ${ACCOUNT_ID_HEADER} header must be an account id (a UUID)`);
  }
  return accountId;
}

/** Whose task it is: the user, and the team account it runs for (null: personal). */
function ownerOf(req: Request): TaskOwner {
  return { userId: userIdOf(req), accountId: accountIdOf(req) };
}

function taskBodyOf(req: Request): { runId: string; prompt: string } {
  const body: unknown = req.body;
  const runId = (body as { runId?: unknown } | undefined)?.runId;
  const prompt = (body as { prompt?: unknown } | undefined)?.prompt;
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) {
    throw new HttpError(400, 'BAD_REQUEST', 'runId: 1-128 letters, digits, . _ : - (one per task)');
  }
  if (typeof prompt !== 'string' || !prompt.trim()) {
    throw new HttpError(400, 'BAD_REQUEST', 'prompt: required');
  }
  return { runId, prompt: prompt.trim() };
}

const validateTaskBody: RequestHandler = (req, _res, next) => {
  userIdOf(req);
  accountIdOf(req);
  taskBodyOf(req);
  next();
};

const jsonErrors: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  if (error instanceof HttpError) {
    res.status(error.status).json({ error: { code: error.code, message: error.message } });
    return;
  }
  const status =
    typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
  if (status === 500) console.error('agent-backend: unhandled error', error);
  const message = status === 500 ? 'Internal server error' : 'Bad request';
  res.status(status).json({ error: { code: status === 500 ? 'INTERNAL' : 'BAD_REQUEST', message } });
};
