import { accountMemberships, accounts, personalAccountId, subscriptions } from '@tollgate/db';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { trpc } from './support/http';
import {
  TEST_JWT_SECRET,
  registerVerifiedUser,
  startTestServer,
  type TestServer,
} from './support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());
beforeEach(() => server.testDb.reset());

const DAY = 86_400_000;

describe('subscription basics', () => {
  it('a new account is on FREE with 10 runs, trial-eligible, with the plan catalog entry', async () => {
    const { accessToken } = await registerVerifiedUser(server);
    const { data } = await trpc(server.url, 'query', 'billing.subscription', undefined, accessToken);
    expect(data).toMatchObject({
      plan: 'FREE',
      status: 'active',
      planDetails: { id: 'FREE', runLimit: 10 },
      usage: { used: 0, limit: 10, remaining: 10 },
      trial: { isEligible: true },
    });
  });

  it('creates the FREE subscription once under 20 concurrent first requests', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('first-timer')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const results = await Promise.all(
      Array.from({ length: 20 }, () => trpc(server.url, 'query', 'billing.subscription', undefined, token)),
    );
    expect(results.every((r) => r.status === 200 && r.data.plan === 'FREE')).toBe(true);
    expect(await server.testDb.db.$count(subscriptions)).toBe(1);
    // …on the user's one personal account, of which it is the one owner.
    const [subscription] = await server.testDb.db.select().from(subscriptions);
    expect(subscription?.accountId).toBe(personalAccountId('first-timer'));
    expect(await server.testDb.db.select().from(accounts)).toEqual([
      expect.objectContaining({
        id: personalAccountId('first-timer'),
        kind: 'personal',
        personalUserId: 'first-timer',
      }),
    ]);
    expect(await server.testDb.db.select().from(accountMemberships)).toEqual([
      expect.objectContaining({
        accountId: personalAccountId('first-timer'),
        userId: 'first-timer',
        role: 'owner',
      }),
    ]);
  });

  it('gives exactly one trial to 20 concurrent activations; the others are refused clearly', async () => {
    const { accessToken } = await registerVerifiedUser(server);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        trpc(server.url, 'mutation', 'billing.activateTrial', undefined, accessToken),
      ),
    );
    const started = results.filter((r) => r.status === 200);
    expect(started).toHaveLength(1);
    expect(started[0]?.data).toMatchObject({
      plan: 'TRIAL',
      status: 'trialing',
      usage: { limit: 50 },
      trial: { daysLeft: 14 },
    });
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(19);
    expect(refused.every((r) => r.error?.data.appCode === 'TRIAL_NOT_ALLOWED')).toBe(true);
  });

  it('falls back to FREE when the trial ends, and never allows a second trial', async () => {
    const { accessToken } = await registerVerifiedUser(server);
    await trpc(server.url, 'mutation', 'billing.activateTrial', undefined, accessToken);
    server.clock.advance(14 * DAY + 1000);
    try {
      const { data } = await trpc(server.url, 'query', 'billing.subscription', undefined, accessToken);
      expect(data).toMatchObject({ plan: 'FREE', usage: { limit: 10 }, trial: { isEligible: false } });
      const again = await trpc(server.url, 'mutation', 'billing.activateTrial', undefined, accessToken);
      expect(again.status).toBe(409);
      expect(again.error?.message).toMatch(/already used/);
    } finally {
      server.clock.reset();
    }
  });
});
