import { isDatabaseReachable } from '@tollgate/api';
import type { Database } from '@tollgate/db';
import { Router } from 'express';

/** A probe waits at most this long (a saturated pool or a vanished server must not hang the probe). */
const PROBE_TIMEOUT_MS = 2000;

/** Whether the database answers `select 1` within PROBE_TIMEOUT_MS. */
async function probeDatabase(db: Database): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([isDatabaseReachable(db), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * - /health: the process answers and the database too (the seed's endpoint).
 * - /health/live: liveness — the process answers; never touches dependencies, so a slow database
 *   doesn't get the container restarted (the server reconnects by itself when PostgreSQL returns).
 * - /health/ready: readiness — the database answers and the server is not draining for shutdown. It
 *   follows the database: 503 while PostgreSQL is unreachable, 200 again as soon as it answers.
 */
export function healthRoutes(db: Database, isShuttingDown: () => boolean): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const isDbUp = await probeDatabase(db);
    res
      .status(isDbUp ? 200 : 503)
      .json({ status: isDbUp ? 'ok' : 'error', database: isDbUp ? 'ok' : 'unreachable' });
  });
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    if (isShuttingDown()) {
      res.status(503).json({ status: 'shutting_down' });
      return;
    }
    const isDbUp = await probeDatabase(db);
    res.status(isDbUp ? 200 : 503).json({ status: isDbUp ? 'ready' : 'database_unreachable' });
  });
  return router;
}
