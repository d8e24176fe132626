import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as it arrived on the socket (after HTTP framing). */
  body: Buffer;
  isUpgrade: boolean;
}

export interface RecordingUpstream {
  /** host:port for nginx's TOLLGATE_UPSTREAM. */
  address: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for the API server that records what nginx forwards: raw bodies and headers, which the
 * real server does not expose. Answers tRPC auth calls like the server does for bad credentials
 * (401), WebSocket upgrades with 101, and everything else with 200 JSON.
 */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      requests.push({
        method: req.method ?? '',
        url,
        headers: req.headers,
        body: Buffer.concat(chunks),
        isUpgrade: false,
      });
      const isAuth = url.startsWith('/api/trpc/') && url.includes('auth.');
      res.writeHead(isAuth ? 401 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(isAuth ? { error: { code: 'UNAUTHORIZED' } } : { ok: true }));
    });
  });
  server.on('upgrade', (req, socket) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.alloc(0),
      isUpgrade: true,
    });
    socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
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
