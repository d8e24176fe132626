import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTollgateClient,
  getTollgateRun,
  requireRun,
  toTollgateError,
  type TollgateClient,
} from '../src';
import { newRunId, newServiceUserId, startTestTollgate, type TestTollgate } from './support/tollgate-server';

let tollgate: TestTollgate;
let serviceKey: string;
let service: TollgateClient;

beforeAll(async () => {
  tollgate = await startTestTollgate();
  serviceKey = (await tollgate.createApiKey(['runs:authorize', 'runs:release', 'subscriptions:read'])).key;
  service = createTollgateClient({ url: tollgate.url, apiKey: serviceKey });
});
afterAll(() => tollgate?.stop());

/**
 * A network that delivers every usage.start to Tollgate (it commits) and loses the first `lose`
 * answers. `attemptIds` records what each start request sent.
 */
function lossyNetwork(lose: number) {
  const network = { lose, attemptIds: [] as string[] };
  const fetchThrough: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const response = await fetch(input, init);
    if (!url.includes('usage.start')) return response;
    network.attemptIds.push(/"attemptId":"([^"]+)"/.exec(String(init?.body))?.[1] ?? 'none');
    if (network.lose <= 0) return response;
    network.lose -= 1;
    await response.arrayBuffer();
    throw new TypeError('fetch failed');
  };
  return { network, fetch: fetchThrough };
}

/**
 * A metered route that calls markStarted() up to `tries` times while it fails without an answer;
 * `beforeRetry` runs between tries (e.g. the network comes back). `work` counts the tasks begun.
 */
async function startApp(client: TollgateClient, tries: number, beforeRetry: () => void = () => {}) {
  const work: string[] = [];
  const app = express();
  app.use(express.json());
  app.post(
    '/tasks',
    requireRun({ client, getUserId: (req) => req.get('x-user-id') ?? '', getRunId: (req) => req.body.runId }),
    async (_req, res) => {
      const run = getTollgateRun(res);
      if (!run) throw new Error('not guarded');
      const failures: string[] = [];
      for (let attempt = 1; attempt <= tries; attempt += 1) {
        try {
          await run.markStarted();
          work.push(run.runId);
          res.status(202).json({ attemptId: run.attemptId, failures });
          return;
        } catch (error) {
          failures.push(toTollgateError(error).code);
          beforeRetry();
        }
      }
      res.status(503).json({ attemptId: run.attemptId, failures });
    },
  );
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tasks`;
  return {
    work,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    async post(userId: string, runId: string) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': userId },
        body: JSON.stringify({ runId }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}

describe('requireRun: usage.start reached Tollgate but its answer was lost', () => {
  it('a later markStarted() asks again with the same attemptId: the task runs once, charged once', async () => {
    // retries: 2 → each markStarted() is 3 requests; 4 lost answers fail the first call, not the second.
    const { network, fetch } = lossyNetwork(4);
    const client = createTollgateClient({ url: tollgate.url, apiKey: serviceKey, fetch, retries: 2 });
    const app = await startApp(client, 3);
    try {
      const userId = newServiceUserId();
      const answer = await app.post(userId, newRunId());
      expect(answer).toMatchObject({ status: 202, body: { failures: ['NETWORK_ERROR'] } });
      expect(app.work).toHaveLength(1);
      // Every start request, the client's retries and the second call's, sent this request's attempt.
      expect(network.attemptIds).toHaveLength(5);
      expect(new Set(network.attemptIds)).toEqual(new Set([answer.body.attemptId]));
      expect((await service.getSubscription(userId)).usage.used).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('lost on every try: the route answers 503; Tollgate holds the start of this attemptId, which can finish it', async () => {
    const { network, fetch } = lossyNetwork(Number.POSITIVE_INFINITY);
    const client = createTollgateClient({ url: tollgate.url, apiKey: serviceKey, fetch, retries: 2 });
    const userId = newServiceUserId();
    const runId = newRunId();
    const lossy = await startApp(client, 2);
    try {
      const answer = await lossy.post(userId, runId);
      expect(answer).toMatchObject({ status: 503, body: { failures: ['NETWORK_ERROR', 'NETWORK_ERROR'] } });
      expect(lossy.work).toHaveLength(0);
      // Tollgate recorded the start of this request's attempt (and no other): a replay answers it.
      expect(new Set(network.attemptIds)).toEqual(new Set([answer.body.attemptId]));
      await expect(
        service.startRun({ userId, runId, attemptId: String(answer.body.attemptId) }),
      ).resolves.toMatchObject({ isReplay: true });
      await expect(service.startRun({ userId, runId })).rejects.toMatchObject({
        code: 'RUN_ALREADY_STARTED',
      });
    } finally {
      await lossy.close();
    }
  });

  it('the network comes back within the request: the next markStarted() succeeds as a replay', async () => {
    const { network, fetch } = lossyNetwork(Number.POSITIVE_INFINITY);
    const client = createTollgateClient({ url: tollgate.url, apiKey: serviceKey, fetch, retries: 2 });
    const app = await startApp(client, 2, () => {
      network.lose = 0;
    });
    try {
      const userId = newServiceUserId();
      const answer = await app.post(userId, newRunId());
      expect(answer).toMatchObject({ status: 202, body: { failures: ['NETWORK_ERROR'] } });
      expect(app.work).toHaveLength(1);
      expect(network.attemptIds).toHaveLength(4); // 3 lost, then the replay
      expect(new Set(network.attemptIds)).toEqual(new Set([answer.body.attemptId]));
      expect((await service.getSubscription(userId)).usage.used).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('keeps a refusal: a second markStarted() after RUN_ALREADY_STARTED sends nothing', async () => {
    const { network, fetch } = lossyNetwork(0);
    const client = createTollgateClient({ url: tollgate.url, apiKey: serviceKey, fetch, retries: 2 });
    const userId = newServiceUserId();
    // Another request (another attempt) starts the run between this one's authorize and its start.
    const racing: TollgateClient = {
      ...client,
      authorizeRun: async (input) => {
        const authorization = await client.authorizeRun(input);
        await service.startRun({ userId, runId: input.runId });
        return authorization;
      },
    };
    const app = await startApp(racing, 2);
    try {
      const answer = await app.post(userId, newRunId());
      expect(answer).toMatchObject({
        status: 503,
        body: { failures: ['RUN_ALREADY_STARTED', 'RUN_ALREADY_STARTED'] },
      });
      expect(network.attemptIds).toHaveLength(1);
      expect(app.work).toHaveLength(0);
    } finally {
      await app.close();
    }
  });
});
