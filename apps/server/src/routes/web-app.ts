import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';

/**
 * Serves the built Vue app (apps/web/dist) with an SPA fallback: any GET outside /api that is not a
 * file gets index.html, so deep links like /settings/subscription work on reload.
 */
export function webAppRoutes(distDir: string): Router {
  const router = Router();
  const indexHtml = join(distDir, 'index.html');
  router.use(express.static(distDir, { index: false, maxAge: '1h', immutable: false }));
  router.get(/^(?!\/api(\/|$)).*/, (_req, res, next) => {
    if (!existsSync(indexHtml)) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexHtml);
  });
  return router;
}
