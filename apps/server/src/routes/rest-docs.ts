import { Router } from 'express';
import { renderDocsPage } from '../openapi/docs-page';
import type { OpenApiDocument } from '../openapi/openapi-types';

/** GET /api/v1/openapi.json: the document, built once at startup. */
export function openApiRoutes(document: OpenApiDocument): Router {
  const router = Router();
  const body = JSON.stringify(document);
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  return router;
}

/** GET /docs: the readable API reference, rendered once from the same document. */
export function docsPageRoutes(document: OpenApiDocument, { baseUrl }: { baseUrl: string }): Router {
  const router = Router();
  const html = renderDocsPage(document, { baseUrl });
  router.get('/', (_req, res) => {
    res.type('html').send(html);
  });
  return router;
}
