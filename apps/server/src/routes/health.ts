import { isDatabaseReachable } from '@tollgate/api';
import type { Database } from '@tollgate/db';
import { Router } from 'express';

/** Health: the process answers and the database too. */
export function healthRoutes(db: Database): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const isDbUp = await isDatabaseReachable(db);
    res
      .status(isDbUp ? 200 : 503)
      .json({ status: isDbUp ? 'ok' : 'error', database: isDbUp ? 'ok' : 'unreachable' });
  });
  return router;
}
