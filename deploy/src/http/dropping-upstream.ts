import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DroppingUpstream {
  /** host:port for nginx's upstream. */
  address: string;
  /** method and URL of every request that reached it. */
  requests: { method: string; url: string }[];
  close(): Promise<void>;
}

/**
 * A replica that dies mid-request: it reads the whole request, then resets the connection without
 * answering. From nginx's side the request was sent and may have been applied, which is the case
 * where a POST must not be sent to another replica.
 */
export async function startDroppingUpstream(): Promise<DroppingUpstream> {
  const requests: DroppingUpstream['requests'] = [];
  const server = createServer((req) => {
    req.resume();
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '' });
      req.socket.resetAndDestroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
