import {
  findLedgerEntry,
  findRunByRunId,
  personalAccountId,
  queryRows,
  updateSubscription,
} from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAgentBackendDouble, type AgentBackendDouble } from './support/agent-backend-double';
import { registerUser, request, trpc } from './support/http';
import { newOperatorKey } from './support/operators';
import { startTestServer, type TestServer } from './support/test-server';
import { waitFor } from './support/wait';

let agent: AgentBackendDouble;
let server: TestServer;
beforeAll(async () => {
  agent = await startAgentBackendDouble();
  server = await startTestServer({ AGENT_BACKEND_URL: agent.url, RUN_START_TIMEOUT_SECONDS: '60' });
});
afterAll(async () => {
  await server?.stop();
  await agent?.close();
});
beforeEach(async () => {
  await server.testDb.reset();
  server.clock.reset();
  agent.reset();
});

const DAY = 86_400_000;

async function proUser() {
  const tokens = await registerUser(server.url);
  const start = new Date(Date.now() - DAY);
  await updateSubscription(server.testDb.db, personalAccountId(tokens.user.id), {
    plan: 'PRO',
    status: 'active',
    currentPeriodStart: start,
    currentPeriodEnd: new Date(start.getTime() + 30 * DAY),
  });
  return tokens;
}

async function newSession(token: string): Promise<string> {
  const created = await request<{ id: string }>(server.url, 'POST', '/api/v1/sessions', { token, body: {} });
  return created.body.id;
}

async function ledgerStates(userId: string) {
  return queryRows<{ state: string; n: number }>(
    server.testDb.db,
    sql`select state, count(*)::int as n from usage_ledger
        where account_id = personal_account_id(${userId}) group by state order by state`,
  );
}

/** The ledger row of a run charged to the user's personal account. */
function ledgerEntry(on: TestServer, userId: string, runId: string) {
  return findLedgerEntry(on.testDb.db, { accountId: personalAccountId(userId), runId });
}

async function counter(userId: string): Promise<number> {
  const [row] = await queryRows<{ used: number }>(
    server.testDb.db,
    sql`select coalesce(sum(used), 0)::int as used from usage_periods
        where account_id = personal_account_id(${userId})`,
  );
  return row?.used ?? -1;
}

describe('sessions.run under concurrency', () => {
  it('200 concurrent calls, 50 run ids each sent 4 times: 50 runner starts, 50 ledger rows, the rest in progress or the stored outcome', async () => {
    const { accessToken, user } = await proUser();
    const sessionId = await newSession(accessToken);
    agent.behave({ kind: 'start', delayMs: 300 });
    const calls = Array.from({ length: 200 }, (_, i) => {
      // The 4 copies of a run id go out next to each other, so they meet while the first one runs.
      const runId = `run-${Math.floor(i / 4)}`;
      const body = { runId, message: `task ${runId}` };
      return i % 2
        ? request<{ usage?: { isReplay: boolean }; error?: { code: string } }>(
            server.url,
            'POST',
            `/api/v1/sessions/${sessionId}/runs`,
            { token: accessToken, body },
          ).then((r) => ({ runId, status: r.status, code: r.body.error?.code ?? null }))
        : trpc(server.url, 'mutation', 'sessions.run', { id: sessionId, ...body }, accessToken).then((r) => ({
            runId,
            status: r.status,
            code: r.error?.data.appCode ?? null,
          }));
    });
    const answers = await Promise.all(calls);
    expect(agent.requests).toHaveLength(50);
    expect(new Set(agent.requests.map((r) => r.runId)).size).toBe(50);
    expect(await ledgerStates(user.id)).toEqual([{ state: 'settled', n: 50 }]);
    expect(await counter(user.id)).toBe(50);
    // Every answer is the run (started now, or its stored outcome) or 409 RUN_IN_PROGRESS while it ran;
    // every run id got at least one answer with the run.
    expect(answers.filter((a) => a.status >= 300 && a.code !== 'RUN_IN_PROGRESS')).toEqual([]);
    expect(new Set(answers.filter((a) => a.status < 300).map((a) => a.runId)).size).toBe(50);
    expect(answers.some((a) => a.code === 'RUN_IN_PROGRESS')).toBe(true);
  });

  it('a retry while the run is under way: 409 RUN_IN_PROGRESS with Retry-After (REST and tRPC), then the stored outcome', async () => {
    const { accessToken } = await proUser();
    const sessionId = await newSession(accessToken);
    // The run stays under way until both retries were answered, however slow the machine.
    let finishRun = () => {};
    agent.behave({ kind: 'start', until: new Promise<void>((resolve) => (finishRun = resolve)) });
    const body = { runId: 'slow', message: 'think hard' };
    const first = request(server.url, 'POST', `/api/v1/sessions/${sessionId}/runs`, {
      token: accessToken,
      body,
    });
    await waitFor(() => agent.startsOf('slow') === 1, 'the run started at the agent');
    const rest = await fetch(`${server.url}/api/v1/sessions/${sessionId}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify(body),
    });
    expect(rest.status).toBe(409);
    expect(rest.headers.get('retry-after')).toBe('2');
    expect(((await rest.json()) as { error: { code: string } }).error.code).toBe('RUN_IN_PROGRESS');
    const viaTrpc = await fetch(`${server.url}/api/trpc/sessions.run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ id: sessionId, ...body }),
    });
    expect(viaTrpc.status).toBe(409);
    expect(viaTrpc.headers.get('retry-after')).toBe('2');
    finishRun();
    expect((await first).status).toBe(201);
    const stored = await request<{ run: { status: string; reply: string }; usage: { isReplay: boolean } }>(
      server.url,
      'POST',
      `/api/v1/sessions/${sessionId}/runs`,
      { token: accessToken, body },
    );
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({
      run: { status: 'completed', reply: 'working on slow' },
      usage: { isReplay: true },
    });
    expect(agent.startsOf('slow')).toBe(1);
  });
});

describe('the agent backend contract', () => {
  it('an explicit "not started" answer releases the run: 503 AGENT_NOT_STARTED, nothing charged, the id spent', async () => {
    const { accessToken, user } = await proUser();
    const sessionId = await newSession(accessToken);
    agent.behave({ kind: 'not_started' });
    const answer = await request<{ error: { code: string; message: string } }>(
      server.url,
      'POST',
      `/api/v1/sessions/${sessionId}/runs`,
      { token: accessToken, body: { runId: 'refused', message: 'm' } },
    );
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatchObject({
      code: 'AGENT_NOT_STARTED',
      message: expect.stringContaining('not charged'),
    });
    expect(await counter(user.id)).toBe(0);
    expect(await ledgerEntry(server, user.id, 'refused')).toMatchObject({
      state: 'released',
      releaseReason: 'backend_not_started',
    });
    const owner = { accountId: personalAccountId(user.id), userId: user.id };
    expect((await findRunByRunId(server.testDb.db, owner, 'refused'))?.status).toBe('failed');
  });

  it('a 5xx after the request reached the backend keeps the run charged and flags it: 502, retries start nothing', async () => {
    const { accessToken, user } = await proUser();
    const sessionId = await newSession(accessToken);
    agent.behave({ kind: 'error' });
    const body = { runId: 'lost', message: 'm' };
    const answer = await request<{ error: { code: string } }>(
      server.url,
      'POST',
      `/api/v1/sessions/${sessionId}/runs`,
      {
        token: accessToken,
        body,
      },
    );
    expect([answer.status, answer.body.error.code]).toEqual([502, 'AGENT_UNCONFIRMED']);
    expect(await counter(user.id)).toBe(1);
    expect(await ledgerEntry(server, user.id, 'lost')).toMatchObject({
      state: 'started',
      reviewReason: 'backend_outcome_unknown',
    });
    agent.behave({ kind: 'start' });
    const retry = await request<{ run: { status: string } }>(
      server.url,
      'POST',
      `/api/v1/sessions/${sessionId}/runs`,
      {
        token: accessToken,
        body,
      },
    );
    expect(retry.status).toBe(201);
    expect(retry.body.run.status).toBe('unconfirmed');
    expect(agent.startsOf('lost')).toBe(1);
  });

  it('connection refused proves nothing started: the run is released', async () => {
    const closed = await startAgentBackendDouble();
    const url = closed.url;
    await closed.close();
    const refusing = await startTestServer({ AGENT_BACKEND_URL: url });
    try {
      const { accessToken, user } = await registerUser(refusing.url);
      const created = await request<{ id: string }>(refusing.url, 'POST', '/api/v1/sessions', {
        token: accessToken,
        body: {},
      });
      const answer = await request<{ error: { code: string } }>(
        refusing.url,
        'POST',
        `/api/v1/sessions/${created.body.id}/runs`,
        { token: accessToken, body: { runId: 'r', message: 'm' } },
      );
      expect([answer.status, answer.body.error.code]).toEqual([503, 'AGENT_NOT_STARTED']);
      expect((await ledgerEntry(refusing, user.id, 'r'))?.state).toBe('released');
    } finally {
      await refusing.stop();
    }
  });
});

describe('runs reserved and never started', () => {
  it('a service that crashes between reserve and start: the sweeper releases the run once, even when sweeps race', async () => {
    const { user } = await registerUser(server.url);
    const { key } = await newOperatorKey(server, 'crashy', ['runs:authorize']);
    for (const runId of ['a', 'b', 'c']) {
      const reserved = await request(server.url, 'POST', '/api/v1/usage/authorize', {
        token: key,
        body: { userId: user.id, runId },
      });
      expect(reserved.status).toBe(200);
    }
    await request(server.url, 'POST', '/api/v1/usage/start', {
      token: key,
      body: { userId: user.id, runId: 'c' },
    });
    // …and the service is gone. Before the timeout nothing is released.
    expect(await server.services.usage.sweepUnstarted()).toBe(0);
    server.clock.advance(61_000);
    const swept = await Promise.all([1, 2, 3, 4].map(() => server.services.usage.sweepUnstarted()));
    // At most the two: the server's own sweeper (every 15 s here) may have released some meanwhile. The
    // ledger and the counter below say each was released once.
    expect(swept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
    expect(await counter(user.id)).toBe(1);
    expect(await ledgerStates(user.id)).toEqual([
      { state: 'released', n: 2 },
      { state: 'started', n: 1 },
    ]);
    // Too late to start a swept run: its work must not begin.
    const late = await request<{ error: { code: string } }>(server.url, 'POST', '/api/v1/usage/start', {
      token: key,
      body: { userId: user.id, runId: 'a' },
    });
    expect([late.status, late.body.error.code]).toEqual([409, 'RUN_RELEASED']);
  });
});
