import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTollgateClient, type PaymentRequiredBody } from '@tollgate/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_ID_HEADER, createAgentBackend, USER_ID_HEADER } from '../src/app';
import type { TaskRunner } from '../src/task-runner';
import { newRunId, startTollgate } from './tollgate';

let tollgate: Awaited<ReturnType<typeof startTollgate>>;

beforeAll(async () => {
  tollgate = await startTollgate();
});
afterAll(() => tollgate?.stop());

/** What POST /tasks answers: a task and the usage after it, or an error (402: the Tollgate body). */
interface TaskAnswer {
  task: { id: string; runId: string };
  usage: { used: number; limit: number; remaining: number };
  error: { code: string; message: string };
}

async function startBackend(tasks?: TaskRunner) {
  const client = createTollgateClient({ url: tollgate.url, apiKey: tollgate.serviceKey });
  const app = createAgentBackend({ tollgate: client, ...(tasks ? { tasks } : {}) });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    async postTask(userId: string | null, body: Record<string, unknown>, accountId?: string) {
      const response = await fetch(`${url}/tasks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(userId ? { [USER_ID_HEADER]: userId } : {}),
          ...(accountId ? { [ACCOUNT_ID_HEADER]: accountId } : {}),
        },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as TaskAnswer };
    },
  };
}

describe('agent backend guarded by requireRun', () => {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  beforeAll(async () => {
    backend = await startBackend();
  });
  afterAll(() => backend.close());

  it('starts tasks until the FREE plan runs out, then answers 402 with the Tollgate body', async () => {
    const userId = await tollgate.newUserId();
    for (let task = 1; task <= 10; task += 1) {
      const started = await backend.postTask(userId, { runId: newRunId(), prompt: `task ${task}` });
      expect(started.status).toBe(202);
      expect(started.body.usage).toEqual({ used: task, limit: 10, remaining: 10 - task });
    }

    const denied = await backend.postTask(userId, { runId: newRunId(), prompt: 'one more' });
    expect(denied.status).toBe(402);
    const body: PaymentRequiredBody = denied.body as unknown as PaymentRequiredBody;
    expect(body.error).toMatchObject({
      code: 'USAGE_LIMIT_REACHED',
      plan: 'FREE',
      status: 'active',
      used: 10,
      limit: 10,
      upgradeUrl: 'http://app.tollgate.test/settings/subscription?upgrade=1',
    });
    expect(Date.parse(body.error.resetsAt)).toBeGreaterThan(Date.now());
    expect(await tollgate.usedBy(userId)).toBe(10);
  });

  it('answers a retried request (same run id) with the task it started, charging once', async () => {
    const userId = await tollgate.newUserId();
    const runId = newRunId();
    const first = await backend.postTask(userId, { runId, prompt: 'write the report' });
    const retry = await backend.postTask(userId, { runId, prompt: 'write the report' });
    expect(first.status).toBe(202);
    expect(retry.status).toBe(200);
    expect(retry.body.task.id).toBe(first.body.task.id);
    expect(await tollgate.usedBy(userId)).toBe(1);
  });

  it('a retry after a restart (the task is forgotten) starts nothing new and charges nothing: 409', async () => {
    const userId = await tollgate.newUserId();
    const runId = newRunId();
    expect((await backend.postTask(userId, { runId, prompt: 'write the report' })).status).toBe(202);
    const restarted = await startBackend();
    try {
      const retry = await restarted.postTask(userId, { runId, prompt: 'write the report' });
      expect(retry).toMatchObject({ status: 409, body: { error: { code: 'RUN_ALREADY_STARTED' } } });
    } finally {
      await restarted.close();
    }
    expect(await tollgate.usedBy(userId)).toBe(1);
  });

  it('the same run id for another prompt is refused (409 RUN_ID_REUSED), not answered with the first task', async () => {
    const userId = await tollgate.newUserId();
    const runId = newRunId();
    await backend.postTask(userId, { runId, prompt: 'write the report' });
    const reused = await backend.postTask(userId, { runId, prompt: 'something else entirely' });
    expect(reused).toMatchObject({ status: 409, body: { error: { code: 'RUN_ID_REUSED' } } });
    expect(await tollgate.usedBy(userId)).toBe(1);
  });

  it('concurrent retries of one run id start one task', async () => {
    const userId = await tollgate.newUserId();
    const runId = newRunId();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => backend.postTask(userId, { runId, prompt: 'once' })),
    );
    const taskIds = new Set(answers.filter((a) => a.status < 300).map((a) => a.body.task.id));
    expect(taskIds.size).toBe(1);
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(await tollgate.usedBy(userId)).toBe(1);
  });

  it("charges a team member's task to the team account X-Account-Id names, not the member's own", async () => {
    const team = await tollgate.newTeam(20);
    const runId = newRunId();
    const started = await backend.postTask(
      team.memberId,
      { runId, prompt: 'triage the inbox' },
      team.accountId,
    );
    expect(started.status).toBe(202);
    expect(started.body.usage).toEqual({ used: 1, limit: 20, remaining: 19 });
    // The owner's task draws on the same pool.
    const byOwner = await backend.postTask(
      team.ownerId,
      { runId: newRunId(), prompt: 'plan' },
      team.accountId,
    );
    expect(byOwner.body.usage).toEqual({ used: 2, limit: 20, remaining: 18 });
    // The member's retry on the team: the same task, not charged again.
    const retry = await backend.postTask(
      team.memberId,
      { runId, prompt: 'triage the inbox' },
      team.accountId,
    );
    expect(retry.status).toBe(200);
    expect(retry.body.task.id).toBe(started.body.task.id);

    expect(await tollgate.teamUsed(team.accountId, team.memberId)).toBe(2);
    expect(await tollgate.usedBy(team.memberId)).toBe(0);
  });

  it('refuses a team run for a non-member (404 ACCOUNT_NOT_FOUND) and a team without a paid plan (402 NO_PLAN)', async () => {
    const team = await tollgate.newTeam(20);
    const outsider = await tollgate.newUserId();
    const refused = await backend.postTask(outsider, { runId: newRunId(), prompt: 'x' }, team.accountId);
    expect(refused).toMatchObject({ status: 404, body: { error: { code: 'ACCOUNT_NOT_FOUND' } } });
    expect(await tollgate.usedBy(outsider)).toBe(0);

    const unpaid = await tollgate.newTeam();
    const denied = await backend.postTask(
      unpaid.memberId,
      { runId: newRunId(), prompt: 'x' },
      unpaid.accountId,
    );
    expect(denied).toMatchObject({ status: 402, body: { error: { code: 'NO_PLAN' } } });
    expect(await tollgate.teamUsed(team.accountId, team.memberId)).toBe(0);
  });

  it('refuses malformed requests before charging anything', async () => {
    const userId = await tollgate.newUserId();
    expect((await backend.postTask(null, { runId: newRunId(), prompt: 'x' })).status).toBe(401);
    expect((await backend.postTask(userId, { runId: 'bad id!', prompt: 'x' })).status).toBe(400);
    expect((await backend.postTask(userId, { runId: newRunId(), prompt: '  ' })).status).toBe(400);
    // Sent as the Latin-1 byte 0xE9: a UTF-8 'é' would arrive as 'Ã©', another user's id.
    expect((await backend.postTask(`${userId}\u00e9`, { runId: newRunId(), prompt: 'x' })).status).toBe(400);
    expect(
      (await backend.postTask(userId, { runId: newRunId(), prompt: 'x' }, 'not-an-account')).status,
    ).toBe(400);
    expect(await tollgate.usedBy(userId)).toBe(0);
  });
});

it('releases the run when the agent pool fails to start the task', async () => {
  const failingPool: TaskRunner = {
    prepare: async () => {
      throw new Error('agent pool unavailable');
    },
    findByRunId: () => null,
  };
  const backend = await startBackend(failingPool);
  const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const userId = await tollgate.newUserId();
    const failed = await backend.postTask(userId, { runId: newRunId(), prompt: 'start please' });
    expect(failed).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'Internal server error' } },
    });
    await vi.waitFor(async () => expect(await tollgate.usedBy(userId)).toBe(0), { timeout: 5_000 });
  } finally {
    errors.mockRestore();
    await backend.close();
  }
});
