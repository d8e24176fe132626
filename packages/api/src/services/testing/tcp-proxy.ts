import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP stand-in between the pool and PostgreSQL (or in place of it): counts connections, and either
 * drops every one at once (the database is down) or forwards to `upstream`, cutting the connection
 * instead of delivering the first answer `cut` picks (the statement ran; its answer was lost).
 */
export async function startTcpProxy(upstream: { host: string; port: number } | null) {
  let connections = 0;
  let cut: ((chunk: Buffer) => boolean) | null = null;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections += 1;
    sockets.add(client);
    if (!upstream) return void client.destroy();
    const backend = connect(upstream.port, upstream.host);
    sockets.add(backend);
    const closeBoth = () => {
      client.destroy();
      backend.destroy();
    };
    client.on('data', (chunk: Buffer) => backend.write(chunk));
    backend.on('data', (chunk: Buffer) => {
      if (cut?.(chunk)) {
        cut = null;
        return closeBoth();
      }
      client.write(chunk);
    });
    for (const socket of [client, backend]) {
      socket.on('error', closeBoth);
      socket.on('close', closeBoth);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    connections: () => connections,
    cutNextAnswer(matches: (chunk: Buffer) => boolean) {
      cut = matches;
    },
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}
