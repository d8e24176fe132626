import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';

/** One request as the fuzzer sends it: any method, path bytes, headers and body. */
export interface FuzzRequest {
  method: string;
  /** Request target as sent (already percent-encoded, or deliberately not). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /**
   * Written byte for byte on a socket instead of through node:http, which refuses to send what the
   * server must survive (control bytes in headers, a broken request line, bad chunked framing).
   */
  raw?: Buffer;
}

export interface FuzzResponse {
  /** HTTP status, or 0 when the server closed the connection without answering. */
  status: number;
  body: string;
}

const TIMEOUT_MS = 15_000;

/** Sends with keep-alive connections so 10,000 requests don't cost 10,000 handshakes. */
export function createSender(baseUrl: string) {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  function viaHttp(req: FuzzRequest): Promise<FuzzResponse> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          agent,
          host: hostname,
          port,
          method: req.method,
          path: req.path,
          headers: { ...req.headers, ...(req.body ? { 'content-length': String(req.body.length) } : {}) },
          timeout: TIMEOUT_MS,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      outgoing.on('error', reject);
      outgoing.end(req.body);
    });
  }

  function viaSocket(bytes: Buffer): Promise<FuzzResponse> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      const chunks: Buffer[] = [];
      socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', (error: NodeJS.ErrnoException) => {
        // The server may reset a connection it refused to parse: that is an answer, not a failure.
        if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish();
        else reject(error);
      });
      socket.on('close', finish);
      socket.end(bytes);
      function finish() {
        const text = Buffer.concat(chunks).toString('latin1');
        const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
        resolve({ status: match ? Number(match[1]) : 0, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
      }
    });
  }

  /** The request as bytes on the wire (header text as latin1, as HTTP/1.1 carries it). */
  function rawBytes(req: FuzzRequest): Buffer {
    const lines = [`${req.method} ${req.path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close'];
    for (const [name, value] of Object.entries(req.headers)) lines.push(`${name}: ${value}`);
    if (req.body) lines.push(`Content-Length: ${req.body.length}`);
    return Buffer.concat([
      Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'),
      req.body ?? Buffer.alloc(0),
    ]);
  }

  return {
    async send(req: FuzzRequest): Promise<FuzzResponse> {
      if (req.raw) return viaSocket(req.raw);
      try {
        return await viaHttp(req);
      } catch (error) {
        // node:http refuses to send some methods, paths and header values: send those bytes anyway.
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (code.startsWith('ERR_INVALID') || code === 'ERR_UNESCAPED_CHARACTERS')
          return viaSocket(rawBytes(req));
        throw error;
      }
    },
    close() {
      agent.destroy();
    },
  };
}
