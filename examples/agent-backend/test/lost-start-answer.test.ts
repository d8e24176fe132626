import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTollgateClient } from '@tollgate/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentBackend, USER_ID_HEADER } from '../src/app';
import { newRunId, startTollgate } from './tollgate';

let tollgate: Awaited<ReturnType<typeof startTollgate>>;
beforeAll(async () => {
  tollgate = await startTollgate();
});
afterAll(() => tollgate?.stop());

/**
 * The backend behind a network that delivers every usage.start to Tollgate (it commits) and loses
 * the first `lose` answers (the SDK client retries twice: 3 requests per markStarted()).
 */
async function startLossyBackend(lose: number) {
  const network = { lose, starts: 0 };
  const lossyFetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const response = await fetch(input, init);
    if (!url.includes('usage.start')) return response;
    network.starts += 1;
    if (network.lose <= 0) return response;
    network.lose -= 1;
    await response.arrayBuffer();
    throw new TypeError('fetch failed');
  };
  const client = createTollgateClient({
    url: tollgate.url,
    apiKey: tollgate.serviceKey,
    fetch: lossyFetch,
    retries: 2,
  });
  const app = createAgentBackend({ tollgate: client });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tasks`;
  return {
    network,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    async postTask(userId: string, body: { runId: string; prompt: string }) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [USER_ID_HEADER]: userId },
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as { task?: { id: string }; error?: { code: string } };
      return { status: response.status, body: answer };
    },
  };
}

describe('the answer of usage.start is lost (Tollgate recorded the start)', () => {
  it('a few lost answers: the task starts once (202) and is charged once', async () => {
    const backend = await startLossyBackend(5); // the first markStarted() and 2 of the second's requests
    try {
      const userId = await tollgate.newUserId();
      const runId = newRunId();
      const started = await backend.postTask(userId, { runId, prompt: 'write the report' });
      expect(started.status).toBe(202);
      expect(backend.network.starts).toBe(6);
      const retry = await backend.postTask(userId, { runId, prompt: 'write the report' });
      expect(retry).toMatchObject({ status: 200, body: { task: { id: started.body.task?.id } } });
      expect(await tollgate.usedBy(userId)).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it('lost on every try: 503 (not 409), and the same request sent again starts the task it paid for', async () => {
    const backend = await startLossyBackend(Number.POSITIVE_INFINITY);
    try {
      const userId = await tollgate.newUserId();
      const runId = newRunId();
      const unconfirmed = await backend.postTask(userId, { runId, prompt: 'write the report' });
      expect(unconfirmed).toMatchObject({ status: 503, body: { error: { code: 'TOLLGATE_UNAVAILABLE' } } });
      // Tollgate holds the run as started: it is charged whether or not the task runs.
      expect(await tollgate.usedBy(userId)).toBe(1);

      backend.network.lose = 0; // the network is back; the user's client resends the same request
      const resent = await backend.postTask(userId, { runId, prompt: 'write the report' });
      expect(resent.status).toBe(202);
      const again = await backend.postTask(userId, { runId, prompt: 'write the report' });
      expect(again).toMatchObject({ status: 200, body: { task: { id: resent.body.task?.id } } });
      expect(await tollgate.usedBy(userId)).toBe(1);
    } finally {
      await backend.close();
    }
  });
});
