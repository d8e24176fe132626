import { creditGrants, personalAccountId } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpc } from './support/http';
import { registerOperator } from './support/operators';
import { registerVerifiedUser, startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
let operatorToken: string;
beforeAll(async () => {
  server = await startTestServer();
  operatorToken = (await registerOperator(server)).accessToken;
});
afterAll(() => server?.stop());

const grantsOf = (accountId: string) =>
  server.testDb.db.select().from(creditGrants).where(eq(creditGrants.accountId, accountId));

describe('admin.grantCredits: runs for free are an operator’s act only', () => {
  it('a user (even granting to their own account) → 403, nothing granted, no extra run', async () => {
    const user = await registerVerifiedUser(server);
    const accountId = personalAccountId(user.user.id);
    const input = { accountId, units: 1000, expiresAt: null, reason: 'myself' };
    const refused = await trpc(server.url, 'mutation', 'admin.grantCredits', input, user.accessToken);
    expect(refused.status).toBe(403);
    expect(await grantsOf(accountId)).toEqual([]);
    const balance = await trpc(server.url, 'query', 'usage.balance', undefined, user.accessToken);
    expect(balance.data).toMatchObject({ creditsRemaining: 0, totalRemaining: 10 });
  });

  it('an operator grants with a reason; it is spent on the next authorization after the plan’s runs', async () => {
    const user = await registerVerifiedUser(server);
    const accountId = personalAccountId(user.user.id);
    const granted = await trpc(
      server.url,
      'mutation',
      'admin.grantCredits',
      { accountId, units: 2, expiresAt: '2099-01-01T00:00:00.000Z', reason: 'outage credit' },
      operatorToken,
    );
    expect(granted.status).toBe(200);
    expect(granted.data).toMatchObject({
      source: 'operator',
      units: 2,
      remaining: 2,
      reason: 'outage credit',
    });
    for (let i = 0; i < 12; i += 1) {
      const run = await trpc(server.url, 'mutation', 'usage.authorize', { runId: `r${i}` }, user.accessToken);
      expect(run.status, `run ${i}`).toBe(200);
    }
    const over = await trpc(server.url, 'mutation', 'usage.authorize', { runId: 'r12' }, user.accessToken);
    expect(over.status).toBe(402);
  });

  it('refuses a blank reason (400), an unknown account (404) and a past expiry (400)', async () => {
    const user = await registerVerifiedUser(server);
    const accountId = personalAccountId(user.user.id);
    const call = (input: Record<string, unknown>) =>
      trpc(
        server.url,
        'mutation',
        'admin.grantCredits',
        { accountId, units: 5, expiresAt: null, reason: 'x', ...input },
        operatorToken,
      );
    expect((await call({ reason: '   ' })).status).toBe(400);
    expect((await call({ accountId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    expect((await call({ expiresAt: '2001-01-01T00:00:00.000Z' })).status).toBe(400);
    expect(await grantsOf(accountId)).toEqual([]);
  });
});
