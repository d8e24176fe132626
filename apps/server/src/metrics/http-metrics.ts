import { appRouter } from '@tollgate/api';
import type { Request, RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';

/** tRPC procedures by name ("usage.authorize"): a request naming anything else is `trpc:unknown`. */
const PROCEDURES: ReadonlySet<string> = new Set(
  Object.keys((appRouter as unknown as { _def: { procedures: Record<string, unknown> } })._def.procedures),
);
const TRPC_PREFIX = '/api/trpc/';

/**
 * The route label of a finished request, from a small set: `trpc:<procedure>` (a batch of several is
 * `trpc:batch`), `rest:<METHOD> <route pattern>` for a matched Express route, `other` for the rest
 * (static files, 404s). Never the raw URL: ids and probes would grow the series without bound.
 */
export function routeLabelOf(req: Request): string {
  const path = req.originalUrl.split('?', 1)[0] ?? '';
  if (path.startsWith(TRPC_PREFIX)) {
    const names = decodeURIComponentSafe(path.slice(TRPC_PREFIX.length)).split(',');
    if (names.length > 1) return names.every((name) => PROCEDURES.has(name)) ? 'trpc:batch' : 'trpc:unknown';
    return PROCEDURES.has(names[0] ?? '') ? `trpc:${names[0]}` : 'trpc:unknown';
  }
  // Set when a route handled the request; baseUrl is the router's mount point (/api/v1).
  const route = (req as { route?: { path?: unknown } }).route;
  if (typeof route?.path === 'string') return `rest:${req.method} ${req.baseUrl}${route.path}`;
  return 'other';
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Request latency by route and status class (2xx…5xx). Cheap on the request path: one hrtime read at
 * the start, one label lookup and one observe when the response is finished.
 */
export function createHttpMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'tollgate_http_request_duration_seconds',
    help: 'HTTP request latency by route template and status class',
    labelNames: ['route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req, res, next) => {
    const startedAt = process.hrtime.bigint();
    res.on('finish', () => {
      try {
        const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        duration.observe(
          { route: routeLabelOf(req), status: `${Math.floor(res.statusCode / 100)}xx` },
          seconds,
        );
      } catch {
        // An observer: never an error on a response already sent.
      }
    });
    next();
  };
}
