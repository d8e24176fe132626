import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTollgateClient,
  getTollgateRun,
  requireRun,
  type ReleaseRunInput,
  type TollgateClient,
} from '../src';
import { newRunId, startTestTollgate, type SignedInUser, type TestTollgate } from './support/tollgate-server';

let tollgate: TestTollgate;
let service: TollgateClient;
let serviceKey: string;

beforeAll(async () => {
  tollgate = await startTestTollgate();
  serviceKey = (await tollgate.createApiKey(['runs:authorize', 'runs:release', 'subscriptions:read'])).key;
  service = createTollgateClient({ url: tollgate.url, apiKey: serviceKey });
});
afterAll(() => tollgate?.stop());

type Mode = 'start' | 'throw-before-start' | 'throw-after-start' | 'reject-before-start' | 'slow-start';

/**
 * A service's metered route behind requireRun; the body's `mode` says how the handler behaves.
 * `work` records each agent task the handler actually began (only after markStarted resolved).
 */
async function startGuardedApp(client: Pick<TollgateClient, 'authorizeRun' | 'startRun' | 'releaseRun'>) {
  const handled: string[] = [];
  const work: string[] = [];
  const app = express();
  app.use(express.json());
  app.post(
    '/tasks',
    requireRun({
      client,
      getUserId: (req) => req.get('x-user-id') ?? '',
      // The team account that pays, when the request names one; else the user's personal account.
      getAccountId: (req) => req.get('x-account-id'),
      getRunId: (req) => {
        if (typeof req.body?.runId !== 'string')
          throw Object.assign(new Error('runId is required'), { status: 400 });
        return req.body.runId;
      },
      getRequestHash: (req) => (typeof req.body?.task === 'string' ? req.body.task : undefined),
    }),
    async (req, res) => {
      const run = getTollgateRun(res);
      if (!run) throw new Error('requireRun did not set the run');
      handled.push(run.runId);
      const mode = req.body.mode as Mode;
      if (mode === 'throw-before-start') throw new Error('agent pool unavailable');
      if (mode === 'reject-before-start') {
        res.status(422).json({ error: { code: 'UNPROCESSABLE', message: 'nothing to do' } });
        return;
      }
      if (mode === 'slow-start') await new Promise((resolve) => setTimeout(resolve, 50));
      try {
        await run.markStarted();
      } catch (error) {
        res.status(409).json({ error: { code: 'NOT_STARTED', message: String(error) } });
        return;
      }
      work.push(run.runId);
      if (mode === 'throw-after-start') throw new Error('crashed after the task started');
      res.status(201).json({ started: true, run });
    },
  );
  const jsonErrors: ErrorRequestHandler = (error, _req, res, _next) => {
    const status = typeof error?.status === 'number' ? error.status : 500;
    res
      .status(status)
      .json({ error: { code: status === 500 ? 'INTERNAL' : 'BAD_REQUEST', message: error.message } });
  };
  app.use(jsonErrors);
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    handled,
    work,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    async postTask(userId: string, body: { runId?: string; mode?: Mode; task?: string }, accountId?: string) {
      const response = await fetch(`${url}/tasks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-user-id': userId,
          ...(accountId ? { 'x-account-id': accountId } : {}),
        },
        body: JSON.stringify({ mode: 'start', ...body }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}

const usedBy = async (userId: string) => (await service.getSubscription(userId)).usage.used;

describe('requireRun', () => {
  let app: Awaited<ReturnType<typeof startGuardedApp>>;
  const releases: ReleaseRunInput[] = [];
  beforeAll(async () => {
    // The real client, with a record of the releases requireRun asks for.
    app = await startGuardedApp({
      authorizeRun: (input) => service.authorizeRun(input),
      startRun: (input) => service.startRun(input),
      releaseRun: (input) => {
        releases.push(input);
        return service.releaseRun(input);
      },
    });
  });
  afterAll(() => app.close());

  it('runs the handler when the run is allowed, with the authorization in res.locals', async () => {
    const user = await tollgate.registerUser();
    const runId = newRunId();
    const response = await app.postTask(user.id, { runId });
    expect(response.status).toBe(201);
    expect(response.body.run).toMatchObject({
      runId,
      used: 1,
      limit: 10,
      remaining: 9,
      plan: 'FREE',
      isReplay: false,
    });
    expect(app.handled).toContain(runId);
    expect(await usedBy(user.id)).toBe(1);
  });

  it("answers a denied run with 402 and exactly the body of Tollgate's REST guard, without calling the handler", async () => {
    const user = await tollgate.registerUser();
    for (let run = 0; run < 10; run += 1) {
      expect((await app.postTask(user.id, { runId: newRunId() })).status).toBe(201);
    }
    const deniedRunId = newRunId();
    const denied = await app.postTask(user.id, { runId: deniedRunId });
    const fromTollgate = await restRunDenial(user);

    expect(denied.status).toBe(402);
    expect(fromTollgate.status).toBe(402);
    expect(denied.body).toEqual(fromTollgate.body);
    expect(denied.body).toMatchObject({ error: { code: 'USAGE_LIMIT_REACHED', used: 10, limit: 10 } });
    expect(app.handled).not.toContain(deniedRunId);
  });

  it('releases the run when the handler throws before starting the work', async () => {
    const user = await tollgate.registerUser();
    await app.postTask(user.id, { runId: newRunId() });
    const failing = await app.postTask(user.id, { runId: newRunId(), mode: 'throw-before-start' });
    expect(failing.status).toBe(500);
    await vi.waitFor(async () => expect(await usedBy(user.id)).toBe(1), { timeout: 5_000 });
  });

  it('releases the run when the handler answers an error before starting the work', async () => {
    const user = await tollgate.registerUser();
    const rejected = await app.postTask(user.id, { runId: newRunId(), mode: 'reject-before-start' });
    expect(rejected.status).toBe(422);
    await vi.waitFor(async () => expect(await usedBy(user.id)).toBe(0), { timeout: 5_000 });
  });

  it('keeps the run charged once the work started; a retry of a started run starts nothing (409)', async () => {
    const user = await tollgate.registerUser();
    const startedThenCrashed = newRunId();
    const started = newRunId();
    expect(
      (await app.postTask(user.id, { runId: startedThenCrashed, mode: 'throw-after-start' })).status,
    ).toBe(500);
    expect((await app.postTask(user.id, { runId: started })).status).toBe(201);
    // The same run id again (a client retry, or a restarted service that forgot it): no second start.
    const retry = await app.postTask(user.id, { runId: started });
    expect(retry).toMatchObject({ status: 409, body: { error: { code: 'RUN_ALREADY_STARTED' } } });
    const handledBefore = app.handled.length;
    expect((await app.postTask(user.id, { runId: started, mode: 'throw-before-start' })).status).toBe(409);
    expect(app.handled).toHaveLength(handledBefore);
    // A release that must happen, so the ones that must not have had their chance first.
    const releasedRunId = newRunId();
    await app.postTask(user.id, { runId: releasedRunId, mode: 'throw-before-start' });
    await vi.waitFor(async () => expect(await usedBy(user.id)).toBe(2), { timeout: 5_000 });
    expect(app.work.filter((id) => id === started || id === startedThenCrashed)).toHaveLength(2);
    const releasedForUser = releases.filter((release) => release.userId === user.id).map((r) => r.runId);
    expect(releasedForUser).toEqual([releasedRunId]);
  });

  it('20 concurrent requests with one run id: the work starts exactly once, one run is charged', async () => {
    const user = await tollgate.registerUser();
    const runId = newRunId();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => app.postTask(user.id, { runId, mode: 'slow-start' })),
    );
    expect(app.work.filter((id) => id === runId)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true);
    await vi.waitFor(async () => expect(await usedBy(user.id)).toBe(1), { timeout: 5_000 });
  });

  it('the same run id for another task (requestHash) is refused before the handler: 409 RUN_ID_REUSED', async () => {
    const user = await tollgate.registerUser();
    const runId = newRunId();
    expect((await app.postTask(user.id, { runId, task: 'summarize' })).status).toBe(201);
    const reused = await app.postTask(user.id, { runId, task: 'translate' });
    expect(reused).toMatchObject({ status: 409, body: { error: { code: 'RUN_ID_REUSED' } } });
    expect(app.work.filter((id) => id === runId)).toHaveLength(1);
    expect(await usedBy(user.id)).toBe(1);
  });

  it('without the runs:release scope the release fails (reported), and the run waits for the start timeout', async () => {
    const narrowKey = (await tollgate.createApiKey(['runs:authorize'])).key;
    const narrow = createTollgateClient({ url: tollgate.url, apiKey: narrowKey });
    const failures: string[] = [];
    const narrowApp = await startGuardedApp({
      authorizeRun: (input) => narrow.authorizeRun(input),
      startRun: (input) => narrow.startRun(input),
      releaseRun: (input) =>
        narrow.releaseRun(input).catch((error: unknown) => {
          failures.push(String((error as { code?: string }).code));
          throw error;
        }),
    });
    try {
      const user = await tollgate.registerUser();
      expect(
        (await narrowApp.postTask(user.id, { runId: newRunId(), mode: 'throw-before-start' })).status,
      ).toBe(500);
      await vi.waitFor(() => expect(failures).toEqual(['FORBIDDEN']), { timeout: 5_000 });
      expect(await usedBy(user.id)).toBe(1);
    } finally {
      await narrowApp.close();
    }
  });

  it("charges a team member's runs to the team account getAccountId names, and releases them there", async () => {
    const owner = await tollgate.registerUser();
    const member = await tollgate.registerUser();
    const accountId = await tollgate.createTeam(owner, [member]);
    await tollgate.giveTeamPool(accountId, 20);
    const team = { userId: member.id, accountId };

    const started = await app.postTask(member.id, { runId: newRunId() }, accountId);
    expect(started.status).toBe(201);
    expect(started.body.run).toMatchObject({ plan: 'ENTERPRISE', used: 1, limit: 20 });
    const releasedRunId = newRunId();
    expect(
      (await app.postTask(member.id, { runId: releasedRunId, mode: 'throw-before-start' }, accountId)).status,
    ).toBe(500);
    await vi.waitFor(() => expect(releases).toContainEqual({ ...team, runId: releasedRunId }), {
      timeout: 5_000,
    });
    await vi.waitFor(async () => expect((await service.getSubscription(team)).usage.used).toBe(1), {
      timeout: 5_000,
    });
    expect(await usedBy(member.id)).toBe(0);

    // A team the user isn't a member of: Tollgate's 404, nothing charged, the handler never runs.
    const outsider = await tollgate.registerUser();
    const refused = await app.postTask(outsider.id, { runId: newRunId() }, accountId);
    expect(refused).toMatchObject({ status: 404, body: { error: { code: 'ACCOUNT_NOT_FOUND' } } });
  });

  it('passes a getter error to next(error) without authorizing anything', async () => {
    const user = await tollgate.registerUser();
    const response = await app.postTask(user.id, {});
    expect(response).toEqual({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: 'runId is required' } },
    });
    expect(await usedBy(user.id)).toBe(0);
  });

  it("answers 503 when Tollgate refuses the service's key: a 401 would read as the end user's own", async () => {
    const badKeyApp = await startGuardedApp(
      createTollgateClient({ url: tollgate.url, apiKey: 'tg_sk_wrong' }),
    );
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const response = await badKeyApp.postTask('someone', { runId: newRunId() });
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ error: { code: 'TOLLGATE_UNAVAILABLE' } });
      expect(badKeyApp.handled).toEqual([]);
      expect(String(logged.mock.calls[0]?.[0])).toMatch(/service's API key was refused \(UNAUTHORIZED\)/);
    } finally {
      logged.mockRestore();
      await badKeyApp.close();
    }
  });

  it('answers 503 with a JSON error when Tollgate is unreachable', async () => {
    const unreachable = createTollgateClient({ url: 'http://127.0.0.1:9', apiKey: serviceKey, retries: 0 });
    const downApp = await startGuardedApp(unreachable);
    try {
      const response = await downApp.postTask('someone', { runId: newRunId() });
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ error: { code: 'TOLLGATE_UNAVAILABLE' } });
      expect(downApp.handled).toEqual([]);
    } finally {
      await downApp.close();
    }
  });
});

/** The same denial through Tollgate's own REST route for the metered resource (sessions). */
async function restRunDenial(user: SignedInUser): Promise<{ status: number; body: unknown }> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}` };
  const session = await fetch(`${tollgate.url}/api/v1/sessions`, { method: 'POST', headers, body: '{}' });
  const { id } = (await session.json()) as { id: string };
  const run = await fetch(`${tollgate.url}/api/v1/sessions/${id}/runs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ runId: newRunId(), message: 'summarize the report' }),
  });
  return { status: run.status, body: await run.json() };
}
