import { creditGrants, listAudit, personalAccountId } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpc } from './support/http';
import { registerOperator, registerSupport } from './support/operators';
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

describe('admin.grantCredits with an idempotencyKey: a retry grants once', () => {
  const KEY = 'grant-dialog-7f3a9c';

  it('the same key answers the first grant, 8 at once and again later: one grant, one audit row', async () => {
    const user = await registerVerifiedUser(server);
    const accountId = personalAccountId(user.user.id);
    const input = { accountId, units: 500, expiresAt: null, reason: 'outage credit', idempotencyKey: KEY };
    const grant = () =>
      trpc<{ id: string }>(server.url, 'mutation', 'admin.grantCredits', input, operatorToken);
    const answers = [...(await Promise.all(Array.from({ length: 8 }, grant))), await grant()];
    expect(answers.map((answer) => answer.status)).toEqual(Array(9).fill(200));
    expect(new Set(answers.map((answer) => answer.data?.id)).size).toBe(1);
    expect(await grantsOf(accountId)).toHaveLength(1);
    const audit = await listAudit(server.testDb.db, { accountId, action: 'grant_credits' });
    expect(audit).toHaveLength(1);
    const balance = await trpc(server.url, 'query', 'usage.balance', undefined, user.accessToken);
    expect(balance.data).toMatchObject({ creditsRemaining: 500 });

    // The key is the account's: another account's grant with it is its own.
    const other = personalAccountId((await registerVerifiedUser(server)).user.id);
    const elsewhere = await trpc(
      server.url,
      'mutation',
      'admin.grantCredits',
      { ...input, accountId: other },
      operatorToken,
    );
    expect(elsewhere.status).toBe(200);
    expect(await grantsOf(other)).toHaveLength(1);
  });

  it('the same key for another grant is refused (409) and grants nothing more', async () => {
    const user = await registerVerifiedUser(server);
    const accountId = personalAccountId(user.user.id);
    const input = { accountId, units: 5, expiresAt: null, reason: 'goodwill', idempotencyKey: KEY };
    const grant = (change: Record<string, unknown>) =>
      trpc(server.url, 'mutation', 'admin.grantCredits', { ...input, ...change }, operatorToken);
    expect((await grant({})).status).toBe(200);
    for (const change of [
      { units: 5000 },
      { expiresAt: '2099-01-01T00:00:00.000Z' },
      { priority: 1 },
      { reason: 'another' },
    ]) {
      const reused = await grant(change);
      expect(reused.status, JSON.stringify(change)).toBe(409);
      expect(reused.error?.message).toMatch(/idempotencyKey/);
    }
    const otherOperator = (await registerOperator(server)).accessToken;
    const byAnother = await trpc(server.url, 'mutation', 'admin.grantCredits', input, otherOperator);
    expect(byAnother.status).toBe(409);
    expect((await grantsOf(accountId)).map((row) => row.units)).toEqual([5]);
  });

  it("support's retry of a grant that used up its daily bound answers the grant, not 403", async () => {
    const support = await registerSupport(server);
    const accountId = personalAccountId((await registerVerifiedUser(server)).user.id);
    const input = { accountId, units: 1000, expiresAt: null, reason: 'outage', idempotencyKey: KEY };
    const grant = () => trpc(server.url, 'mutation', 'admin.grantCredits', input, support.accessToken);
    // A double click: the retries race the original on PostgreSQL; then a retry after it.
    const racing = await Promise.all(Array.from({ length: 6 }, grant));
    expect(racing.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    expect((await grant()).status).toBe(200);
    const another = await trpc(
      server.url,
      'mutation',
      'admin.grantCredits',
      { ...input, units: 1, idempotencyKey: 'another-dialog-1' },
      support.accessToken,
    );
    expect(another.status).toBe(403);
    expect((await grantsOf(accountId)).map((row) => row.units)).toEqual([1000]);
  });

  it('a key that is not storable text is refused with 400', async () => {
    const accountId = personalAccountId((await registerVerifiedUser(server)).user.id);
    for (const idempotencyKey of ['short', 'nul\u0000in-the-key', 'x'.repeat(101)]) {
      const refused = await trpc(
        server.url,
        'mutation',
        'admin.grantCredits',
        { accountId, units: 1, expiresAt: null, reason: 'x', idempotencyKey },
        operatorToken,
      );
      expect(refused.status).toBe(400);
    }
    expect(await grantsOf(accountId)).toEqual([]);
  });
});
