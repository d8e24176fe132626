import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentBackendError } from './agent-runner';
import { createHttpRunner } from './http-runner';

const REQUEST = { accountId: 'a1', userId: 'u1', runId: 'r1', sessionId: 's1', message: 'hello' };
let server: Server | null = null;

/** A real HTTP server playing the agent backend with `handler`; resolves its URL. */
async function backend(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/runs`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function outcomeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'started';
  } catch (error) {
    return error instanceof AgentBackendError ? error.outcome : `other: ${String(error)}`;
  }
}

describe('the HTTP runner names a run by its account and run id', () => {
  /** Starts each request against a backend that records the Idempotency-Key and body it received. */
  async function received(requests: Array<typeof REQUEST>) {
    const seen: Array<{ key: string; body: Record<string, unknown> }> = [];
    const url = await backend((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ key: String(req.headers['idempotency-key']), body: JSON.parse(body) });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"reply":"on it"}');
      });
    });
    // A runner per request: the key comes from the run, not from a process (restarts, replicas).
    for (const request of requests) await createHttpRunner(url).start(request);
    return seen;
  }

  it('the same run, sent again, carries the same key; the body names the account', async () => {
    const [first, again] = await received([REQUEST, { ...REQUEST }]);
    expect(first?.body).toEqual(REQUEST);
    expect(again?.key).toBe(first?.key);
    expect(first?.key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('another account’s run with the same run id (or the same account’s other run) gets another key', async () => {
    const seen = await received([
      REQUEST,
      { ...REQUEST, accountId: 'a2', userId: 'u2' },
      { ...REQUEST, runId: 'r2' },
      // No joining of the two ids can make two runs meet.
      { ...REQUEST, accountId: 'a1r', runId: '1' },
    ]);
    expect(new Set(seen.map((s) => s.key)).size).toBe(4);
  });
});

describe('the HTTP runner releases a run only when the backend proves nothing started', () => {
  it('2xx → started, with the reply', async () => {
    const url = await backend((_req, res) => {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"reply":"on it"}');
    });
    await expect(createHttpRunner(url).start(REQUEST)).resolves.toEqual({ reply: 'on it' });
  });

  it('connection refused → not_started', async () => {
    const url = await backend(() => undefined);
    server?.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await outcomeOf(createHttpRunner(url).start(REQUEST))).toBe('not_started');
  });

  it('the explicit {"status":"not_started"} answer → not_started; any other non-2xx → unknown', async () => {
    const refusing = await backend((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"not_started"}');
    });
    expect(await outcomeOf(createHttpRunner(refusing).start(REQUEST))).toBe('not_started');
    server?.close();
    const failing = await backend((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
    });
    expect(await outcomeOf(createHttpRunner(failing).start(REQUEST))).toBe('unknown');
  });

  it('a timeout or a connection reset after the request was sent → unknown (the agent may be working)', async () => {
    const slow = await backend(() => undefined); // reads the request, never answers
    expect(await outcomeOf(createHttpRunner(slow, 200).start(REQUEST))).toBe('unknown');
    server?.closeAllConnections();
    server?.close();
    const resetting = await backend((req) => req.socket.destroy());
    expect(await outcomeOf(createHttpRunner(resetting).start(REQUEST))).toBe('unknown');
  });
});
