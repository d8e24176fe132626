import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@tollgate/api';
import type { Registry } from 'prom-client';

export interface MetricsListener {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * /metrics on a listener of its own (METRICS_HOST:METRICS_PORT), never on the public port: nginx and
 * the internet never reach it. With METRICS_TOKEN set, a scrape must send `Authorization: Bearer
 * <token>` (Prometheus: `authorization: { credentials_file: … }`); anything else answers 401.
 */
export async function startMetricsListener(options: {
  registry: Registry;
  host: string;
  port: number;
  token: string | null;
  logger: Logger;
}): Promise<MetricsListener> {
  const { registry, token, logger } = options;
  const expected = token === null ? null : digest(`Bearer ${token}`);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at /metrics\n');
      return;
    }
    // Compared as digests: constant time whatever the length of what was sent.
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      res
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
        .end('Unauthorized\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => {
        logger.error('metrics scrape failed', { error: String(error) });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics unavailable\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
