import type { Logger, Metrics } from '@tollgate/api';
import type { Database } from '@tollgate/db';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApiMetrics } from './api-metrics';
import { createHttpMetrics } from './http-metrics';
import { registerPoolMetrics } from './pool-metrics';
import { registerQueueMetrics } from './queue-metrics';

export interface ServerMetrics {
  /** Everything exported at /metrics on the metrics listener. */
  registry: Registry;
  /** The API's hooks (ApiDeps.metrics). */
  hooks: Metrics;
  /** Request latency by route (installed right after helmet in app.ts). */
  httpMiddleware: RequestHandler;
}

/**
 * One registry per server (tests run several servers in one process; prom-client's global registry
 * would refuse the second set of names): Node's defaults with the `tollgate_` prefix, the API's hooks,
 * HTTP latency, and the scrape-time readings of the queues and the database pool.
 */
export function createServerMetrics(options: {
  db: Database;
  now: () => Date;
  logger: Logger;
}): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tollgate_' });
  registerQueueMetrics(registry, options.db, options.now, options.logger);
  registerPoolMetrics(registry, options.db);
  return {
    registry,
    hooks: createApiMetrics(registry),
    httpMiddleware: createHttpMetrics(registry),
  };
}
