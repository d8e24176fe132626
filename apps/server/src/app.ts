import {
  ACCOUNT_HEADER,
  createContextFactory,
  type ApiDeps,
  type Services,
  type UnsubscribeLinks,
} from '@tollgate/api';
import { appRouter, errorAnswer, retryAfterSecondsOf } from '@tollgate/api';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { apiNotFound, errorHandler, sendErrorAnswer } from './http/error-handler';
import { requestContext } from './http/request-context';
import { trpcMiddleware } from './http/trpc-middleware';
import { securityHeaders } from './http/security-headers';
import type { DevInbox } from '@tollgate/mail';
import { billingWebhookRoutes } from './routes/billing-webhook';
import { devInboxRoutes } from './routes/dev-inbox';
import { healthRoutes } from './routes/health';
import { createOpenApiDocument } from './openapi/openapi-document';
import { restApiRoutes, restOperations } from './routes/rest-api';
import { docsPageRoutes, openApiRoutes } from './routes/rest-docs';
import { unsubscribeRoutes } from './routes/unsubscribe';
import { webAppRoutes } from './routes/web-app';

export interface AppOptions {
  deps: ApiDeps;
  services: Services;
  /** Express `trust proxy` setting, so req.ip is the client's IP behind nginx. */
  trustProxy: string;
  isLoggingRequests: boolean;
  /** Built web app to serve (production and `npm start`); null to serve only the API. */
  webDistDir: string | null;
  /** True once shutdown began: readiness answers 503 so the proxy stops sending traffic. */
  isShuttingDown?: () => boolean;
  /** The in-process SMTP server's catch (development and tests only): served at /dev/inbox. */
  devInbox?: DevInbox | null;
  /** Request latency by route for the metrics listener (metrics/http-metrics.ts); null when metrics are off. */
  httpMetrics?: RequestHandler | null;
  /** The emails' one-click unsubscribe links (served under /api/v1); null: no such links. */
  unsubscribeLinks?: UnsubscribeLinks | null;
}

const JSON_LIMIT = '100kb';
const TRPC_MAX_BODY_BYTES = 100 * 1024;

/** Wires the HTTP surface: tRPC at /api/trpc, REST under /api/v1, health. */
export function createApp({
  deps,
  services,
  trustProxy,
  isLoggingRequests,
  webDistDir,
  isShuttingDown = () => false,
  devInbox = null,
  httpMetrics = null,
  unsubscribeLinks = null,
}: AppOptions) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', parseTrustProxy(trustProxy));
  app.use(securityHeaders());
  if (httpMetrics) app.use(httpMetrics);
  app.use(requestContext(deps.logger, { isLogging: isLoggingRequests }));

  const createContext = createContextFactory(deps, services);
  const contextFor = (req: Request, res: Response) =>
    createContext({
      authorization: req.get('authorization'),
      account: req.get(ACCOUNT_HEADER),
      ip: req.ip ?? 'unknown',
      requestId: String(res.locals.requestId),
    });

  app.use('/api/trpc', refuseFetchForbiddenMethods);
  app.use(
    '/api/trpc',
    trpcMiddleware({
      router: appRouter,
      createContext: ({ req, res }) => contextFor(req, res),
      maxBodySize: TRPC_MAX_BODY_BYTES,
      // RUN_IN_PROGRESS tells the client when to ask again, as the REST route does.
      responseMeta: ({ errors }) => {
        const retryAfter = errors.map(retryAfterSecondsOf).find((seconds) => seconds !== null);
        return retryAfter ? { headers: { 'retry-after': String(retryAfter) } } : {};
      },
    }),
  );

  const openApiDocument = createOpenApiDocument(restOperations);
  const docsPage = docsPageRoutes(openApiDocument, { baseUrl: new URL(deps.config.appUrl).origin });
  const v1 = express.Router();
  v1.use(billingWebhookRoutes(services.stripe, deps.logger));
  v1.use(express.json({ limit: JSON_LIMIT }));
  v1.use(healthRoutes(deps.db, isShuttingDown));
  v1.use(openApiRoutes(openApiDocument));
  // Also under /api/v1 so the page is reachable through a proxy that forwards only /api.
  v1.use('/docs', docsPage);
  if (unsubscribeLinks) v1.use(unsubscribeRoutes(unsubscribeLinks, services, deps.config.appUrl));
  v1.use(restApiRoutes(contextFor));
  v1.use(apiNotFound);
  app.use('/api/v1', v1);
  app.use('/docs', docsPage);

  app.use('/api', apiNotFound);
  if (devInbox) app.use(devInboxRoutes(devInbox));
  if (webDistDir) app.use(webAppRoutes(webDistDir));
  app.use(errorHandler(deps.logger));
  return app;
}

/**
 * tRPC's adapter turns each request into a Fetch `Request`, whose constructor throws on the methods the
 * Fetch standard forbids: tRPC would answer that with a 500. They are no tRPC call, so: 405.
 */
const FETCH_FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
const refuseFetchForbiddenMethods: RequestHandler = (req, res, next) => {
  if (!FETCH_FORBIDDEN_METHODS.has(req.method.toUpperCase())) return next();
  res.set('allow', 'GET, POST');
  sendErrorAnswer(res, errorAnswer(405, 'METHOD_NOT_SUPPORTED', `${req.method} is not a tRPC call`));
};

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
