import { personalAccountId, queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, request, trpc, type Tokens } from './support/http';
import { startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
let alice: Tokens;
let bob: Tokens;
let aliceSessionId: string;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server.url);
  bob = await registerUser(server.url);
  const created = await trpc(
    server.url,
    'mutation',
    'sessions.create',
    { title: 'Alice private' },
    alice.accessToken,
  );
  aliceSessionId = created.data.id;
  await trpc(
    server.url,
    'mutation',
    'sessions.run',
    { id: aliceSessionId, runId: 'alice-run', message: 'secret' },
    alice.accessToken,
  );
});
afterAll(() => server?.stop());

async function aliceState() {
  const session = await trpc(server.url, 'query', 'sessions.get', { id: aliceSessionId }, alice.accessToken);
  const subscription = await trpc(server.url, 'query', 'billing.subscription', undefined, alice.accessToken);
  const balance = await trpc(server.url, 'query', 'usage.balance', undefined, alice.accessToken);
  const spend = await trpc(server.url, 'query', 'billing.spendSettings', undefined, alice.accessToken);
  return { session: session.data, usage: subscription.data.usage, balance: balance.data, spend: spend.data };
}

describe('tenant isolation: Bob uses Alice’s ids everywhere', () => {
  it('every tenant-scoped procedure answers NOT_FOUND/FORBIDDEN and changes nothing', async () => {
    const before = await aliceState();
    const attempts = [
      trpc(server.url, 'query', 'sessions.get', { id: aliceSessionId }, bob.accessToken),
      trpc(server.url, 'mutation', 'sessions.delete', { id: aliceSessionId }, bob.accessToken),
      trpc(
        server.url,
        'mutation',
        'sessions.run',
        { id: aliceSessionId, runId: 'bob-run', message: 'x' },
        bob.accessToken,
      ),
      trpc(server.url, 'mutation', 'usage.start', { runId: 'alice-run' }, bob.accessToken),
    ];
    for (const attempt of await Promise.all(attempts)) expect(attempt.status).toBe(404);
    // Releasing and settling are a service's acts: a user token is refused whatever it names.
    expect(
      (await trpc(server.url, 'mutation', 'usage.release', { runId: 'alice-run' }, bob.accessToken)).status,
    ).toBe(403);
    expect(
      (await trpc(server.url, 'mutation', 'usage.settle', { runId: 'alice-run', actual: 1 }, bob.accessToken))
        .status,
    ).toBe(403);

    const forbidden = await Promise.all([
      trpc(server.url, 'query', 'billing.subscription', { userId: alice.user.id }, bob.accessToken),
      trpc(
        server.url,
        'mutation',
        'usage.authorize',
        { userId: alice.user.id, runId: 'bob-for-alice' },
        bob.accessToken,
      ),
      trpc(
        server.url,
        'mutation',
        'usage.release',
        { userId: alice.user.id, runId: 'alice-run' },
        bob.accessToken,
      ),
      trpc(
        server.url,
        'mutation',
        'usage.settle',
        { userId: alice.user.id, runId: 'alice-run', actual: 1 },
        bob.accessToken,
      ),
    ]);
    for (const attempt of forbidden) expect(attempt.status).toBe(403);

    // Alice's personal account named in the header: not Bob's to read, nor to buy for.
    const onAlice = { 'x-tollgate-account': personalAccountId(alice.user.id) };
    const aliceAccount = await Promise.all([
      trpc(server.url, 'query', 'usage.balance', undefined, bob.accessToken, onAlice),
      trpc(
        server.url,
        'mutation',
        'billing.createPackCheckout',
        { packId: 'PACK_100' },
        bob.accessToken,
        onAlice,
      ),
      trpc(server.url, 'query', 'billing.spendSettings', undefined, bob.accessToken, onAlice),
      // Nor to raise (or lift) her spend cap, nor to turn on her overage or an auto top-up.
      trpc(
        server.url,
        'mutation',
        'billing.updateSpendSettings',
        { cap: null, autoTopUp: { threshold: 5, packId: 'PACK_100', monthlyLimit: 3 } },
        bob.accessToken,
        onAlice,
      ),
    ]);
    for (const attempt of aliceAccount) expect([403, 404]).toContain(attempt.status);
    // Bob's balance is his own.
    const bobBalance = await trpc(server.url, 'query', 'usage.balance', undefined, bob.accessToken);
    expect(bobBalance.data).toMatchObject({ allowance: { used: 0 }, grants: [] });

    const bobList = await trpc(server.url, 'query', 'sessions.list', undefined, bob.accessToken);
    expect(bobList.data).toEqual([]);
    expect(await aliceState()).toEqual(before);
  });

  it('every tenant-scoped REST route answers 404 and changes nothing', async () => {
    const before = await aliceState();
    const token = bob.accessToken;
    expect((await request(server.url, 'GET', `/api/v1/sessions/${aliceSessionId}`, { token })).status).toBe(
      404,
    );
    expect(
      (await request(server.url, 'DELETE', `/api/v1/sessions/${aliceSessionId}`, { token })).status,
    ).toBe(404);
    const run = await request(server.url, 'POST', `/api/v1/sessions/${aliceSessionId}/runs`, {
      token,
      body: { runId: 'bob-rest', message: 'x' },
    });
    expect(run.status).toBe(404);
    const list = await request<unknown[]>(server.url, 'GET', '/api/v1/sessions', { token });
    expect(list.body).toEqual([]);
    const settle = await request(server.url, 'POST', '/api/v1/usage/settle', {
      token,
      body: { userId: alice.user.id, runId: 'alice-run', actual: 1 },
    });
    expect(settle.status).toBe(403);
    const onAlice = { 'x-tollgate-account': personalAccountId(alice.user.id) };
    const balance = await request(server.url, 'GET', '/api/v1/usage/balance', { token, headers: onAlice });
    expect([403, 404]).toContain(balance.status);
    const pack = await request(server.url, 'POST', '/api/v1/billing/create-pack-checkout', {
      token,
      headers: onAlice,
      body: { packId: 'PACK_100' },
    });
    expect([403, 404]).toContain(pack.status);
    expect(await aliceState()).toEqual(before);
    // Bob's own usage was not charged for the attempts.
    const bobUsage = await trpc(server.url, 'query', 'billing.subscription', undefined, token);
    expect(bobUsage.data.usage.used).toBe(0);
  });

  // The tenant is the billing account: each user's personal account, never shared.
  it('Alice’s session, run and charge are on her personal account; Bob’s holds none of them', async () => {
    const aliceAccount = personalAccountId(alice.user.id);
    const bobAccount = personalAccountId(bob.user.id);
    expect(aliceAccount).not.toBe(bobAccount);
    const { session } = await aliceState();
    expect(session).toMatchObject({ accountId: aliceAccount, userId: alice.user.id });
    expect(session.runs).toEqual([
      expect.objectContaining({ accountId: aliceAccount, userId: alice.user.id, runId: 'alice-run' }),
    ]);

    const { db } = server.testDb;
    const ledger = await queryRows<{ account_id: string; user_id: string; run_id: string }>(
      db,
      sql`select account_id, user_id, run_id from usage_ledger
          where account_id in (${aliceAccount}, ${bobAccount}) order by run_id`,
    );
    expect(ledger).toEqual([{ account_id: aliceAccount, user_id: alice.user.id, run_id: 'alice-run' }]);
    const bobRows = await queryRows<{ sessions: number; runs: number; used: number }>(
      db,
      sql`select (select count(*)::int from agent_sessions where account_id = ${bobAccount}) as sessions,
            (select count(*)::int from agent_runs where account_id = ${bobAccount}) as runs,
            (select coalesce(sum(used), 0)::int from usage_periods where account_id = ${bobAccount}) as used`,
    );
    expect(bobRows).toEqual([{ sessions: 0, runs: 0, used: 0 }]);
  });

  it('malformed ids are a clear 400, not a 500', async () => {
    const result = await request(server.url, 'GET', '/api/v1/sessions/not-a-uuid', {
      token: bob.accessToken,
    });
    expect(result.status).toBe(400);
  });

  it('requires a signed-in user for every tenant-scoped route', async () => {
    expect((await request(server.url, 'GET', '/api/v1/sessions')).status).toBe(401);
    expect((await trpc(server.url, 'query', 'sessions.list')).status).toBe(401);
  });
});
