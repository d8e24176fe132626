import type { Context } from '@tollgate/api';
import { Router, type Request, type Response } from 'express';
import { restRoute } from '../http/rest-adapter';

type ContextFactory = (req: Request, res: Response) => Promise<Context>;

/** REST for the metered resource, served by the tRPC `sessions.*` procedures. */
export function sessionsRoutes(createContext: ContextFactory): Router {
  const router = Router();
  router.get(
    '/',
    restRoute(createContext, (api) => api.sessions.list()),
  );
  router.post(
    '/',
    restRoute(createContext, (api, req) => api.sessions.create(req.body ?? {}), 201),
  );
  router.get(
    '/:id',
    restRoute(createContext, (api, req) => api.sessions.get({ id: String(req.params.id) })),
  );
  router.delete(
    '/:id',
    restRoute(createContext, (api, req) => api.sessions.delete({ id: String(req.params.id) })),
  );
  // The metered route: the `sessions.run` procedure's guard answers 402 when the run is denied.
  router.post(
    '/:id/runs',
    restRoute(
      createContext,
      (api, req) => api.sessions.run({ ...(req.body ?? {}), id: String(req.params.id) }),
      201,
    ),
  );
  return router;
}
