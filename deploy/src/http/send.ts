import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface SendOptions {
  scheme: 'http' | 'https';
  port: number;
  path: string;
  /** Host header and TLS server name. */
  host: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Source address of the connection: 127.0.0.x stands in for different clients. */
  localAddress?: string;
  /** PEM to trust for https (the test's self-signed certificate). */
  ca?: string;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json(): unknown;
}

/** One request on a fresh connection to 127.0.0.1 (so localAddress always applies). */
export function send(options: SendOptions): Promise<Reply> {
  const { scheme, port, path, host, method = 'GET', headers = {}, body, localAddress, ca } = options;
  const request = scheme === 'https' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        headers: { host, ...headers },
        agent: false,
        ...(localAddress ? { localAddress } : {}),
        ...(scheme === 'https' ? { servername: host, ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: data,
            text: () => data.toString('utf8'),
            json: () => JSON.parse(data.toString('utf8')) as unknown,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends a WebSocket-style upgrade request over https and resolves with the 101 (or the refusal). */
export function sendUpgrade(options: Omit<SendOptions, 'scheme' | 'method' | 'body'>): Promise<{
  status: number;
  headers: IncomingHttpHeaders;
}> {
  const { port, path, host, headers = {}, ca } = options;
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1',
      port,
      path,
      servername: host,
      ca,
      agent: false,
      headers: {
        host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}
