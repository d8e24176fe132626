import { isDatabaseReachable } from '@tollgate/api';
import type { Database } from '@tollgate/db';
import { Router } from 'express';

/**
 * - /health: the process answers and the database too (the seed's endpoint).
 * - /health/live: liveness — the process answers; never touches dependencies, so a slow database
 *   doesn't get the container restarted.
 * - /health/ready: readiness — the database answers and the server is not draining for shutdown.
 */
export function healthRoutes(db: Database, isShuttingDown: () => boolean): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const isDbUp = await isDatabaseReachable(db);
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
    const isDbUp = await isDatabaseReachable(db);
    res.status(isDbUp ? 200 : 503).json({ status: isDbUp ? 'ready' : 'database_unreachable' });
  });
  return router;
}
