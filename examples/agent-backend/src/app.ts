import { getTollgateRun, requireRun, type TollgateClient } from '@tollgate/sdk';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { createInMemoryTaskRunner, type TaskRunner } from './task-runner';

export interface AgentBackendOptions {
  /** A Tollgate client with a service API key (scope runs:authorize). */
  tollgate: Pick<TollgateClient, 'authorizeRun' | 'releaseRun'>;
  tasks?: TaskRunner;
}

/** Set by the gateway in front of this service after it authenticated the user (see README). */
export const USER_ID_HEADER = 'x-user-id';
const RUN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.post(
    '/tasks',
    // Checked before requireRun: a malformed request costs nothing, not even a charge-and-refund.
    validateTaskBody,
    requireRun({ client: tollgate, getUserId: userIdOf, getRunId: (req) => taskBodyOf(req).runId }),
    async (req, res) => {
      const run = getTollgateRun(res);
      if (!run) throw new Error('POST /tasks must be guarded by requireRun');
      const userId = userIdOf(req);
      const usage = { used: run.used, limit: run.limit, remaining: run.remaining };

      // A retried request (same run id) was not charged again; answer with the task it started.
      const existing = run.isReplay ? tasks.findByRunId(userId, run.runId) : null;
      if (existing) {
        run.markStarted();
        res.status(200).json({ task: existing, usage });
        return;
      }
      // If this throws, nothing started: the error answer makes requireRun release the run.
      const task = await tasks.start({ userId, runId: run.runId, prompt: taskBodyOf(req).prompt });
      run.markStarted();
      res.status(202).json({ task, usage });
    },
  );

  app.use((req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.path}` } });
  });
  app.use(jsonErrors);
  return app;
}

function userIdOf(req: Request): string {
  const userId = req.get(USER_ID_HEADER)?.trim();
  if (!userId) throw new HttpError(401, 'UNAUTHORIZED', `The ${USER_ID_HEADER} header is required`);
  return userId;
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
