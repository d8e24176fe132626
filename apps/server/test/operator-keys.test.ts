import { findLedgerEntry, personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request, trpc, type Tokens } from './support/http';
import { registerOperator, registerSupport } from './support/operators';
import { registerVerifiedUser, startTestServer, type TestServer } from './support/test-server';

// A platform key (made by an operator, account_id null) acts for every account: it works only while its
// maker could still make it. Taking the role away revokes the keys they made, in the same transaction.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());
beforeEach(() => server.testDb.reset());

interface CreatedKey {
  id: string;
  key: string;
}

interface KeyView {
  id: string;
  revokedAt: string | null;
}

async function platformKey(maker: Tokens, name = 'my script'): Promise<CreatedKey> {
  const made = await trpc<CreatedKey>(
    server.url,
    'mutation',
    'apiKeys.create',
    { name, scopes: ['subscriptions:read', 'runs:authorize'] },
    maker.accessToken,
  );
  expect(made.status).toBe(200);
  if (!made.data) throw new Error('apiKeys.create answered no key');
  return made.data;
}

/** What a key may still do for a customer: read their subscription, reserve a run on their account. */
async function actFor(key: string, userId: string, runId: string) {
  const subscription = await trpc(server.url, 'query', 'billing.subscription', { userId }, key);
  const authorize = await trpc(server.url, 'mutation', 'usage.authorize', { userId, runId }, key);
  const rest = await request(server.url, 'POST', '/api/v1/usage/authorize', {
    token: key,
    body: { userId, runId: `${runId}-rest` },
  });
  return { subscription: subscription.status, authorize: authorize.status, rest: rest.status };
}

async function reserved(userId: string, runId: string): Promise<boolean> {
  return (await findLedgerEntry(server.deps.db, { accountId: personalAccountId(userId), runId })) !== null;
}

function revoke(by: Tokens, userId: string, reason = 'left the company') {
  return trpc<{ userId: string; revoked: true; revokedApiKeyIds: string[] }>(
    server.url,
    'mutation',
    'operators.revoke',
    { userId, reason },
    by.accessToken,
  );
}

describe('an operator losing the role', () => {
  it('loses the platform keys they made: 401 for every account, no run reserved, named in the answer and the audit row', async () => {
    const mallory = await registerOperator(server);
    const boss = await registerOperator(server);
    const first = await platformKey(mallory);
    const second = await platformKey(mallory, 'another script');
    const bosses = await platformKey(boss);
    const victim = await registerVerifiedUser(server);
    // Before: the keys act for any customer.
    expect(await actFor(first.key, victim.user.id, 'before-1')).toEqual({
      subscription: 200,
      authorize: 200,
      rest: 200,
    });

    const revoked = await revoke(boss, mallory.user.id);
    expect(revoked.status).toBe(200);
    expect((await trpc(server.url, 'query', 'apiKeys.list', undefined, mallory.accessToken)).status).toBe(
      403,
    );

    for (const { key } of [first, second]) {
      expect(await actFor(key, victim.user.id, `after-${key.slice(-6)}`)).toEqual({
        subscription: 401,
        authorize: 401,
        rest: 401,
      });
    }
    expect(await reserved(victim.user.id, `after-${first.key.slice(-6)}`)).toBe(false);
    expect(await reserved(victim.user.id, `after-${first.key.slice(-6)}-rest`)).toBe(false);
    expect(await reserved(victim.user.id, 'before-1')).toBe(true);
    // The answer names the keys revoked with the role.
    expect(revoked.data).toEqual({
      userId: mallory.user.id,
      revoked: true,
      revokedApiKeyIds: [first.id, second.id].sort(),
    });

    // Another operator's key keeps working.
    expect(await actFor(bosses.key, victim.user.id, 'boss-1')).toEqual({
      subscription: 200,
      authorize: 200,
      rest: 200,
    });

    // apiKeys.list shows them revoked (the other operator's not).
    const listed = await trpc<KeyView[]>(server.url, 'query', 'apiKeys.list', undefined, boss.accessToken);
    const revokedAt = new Map((listed.data ?? []).map((view) => [view.id, view.revokedAt]));
    expect(revokedAt.get(first.id)).toEqual(expect.any(String));
    expect(revokedAt.get(second.id)).toEqual(expect.any(String));
    expect(revokedAt.get(bosses.id)).toBeNull();

    // The console's audit log names the keys revoked with the role.
    const audit = await trpc<{ action: string; before: unknown; after: unknown; reason: string }[]>(
      server.url,
      'query',
      'admin.auditLog',
      { action: 'revoke_platform_role' },
      boss.accessToken,
    );
    expect(audit.data).toEqual([
      expect.objectContaining({
        actorUserId: boss.user.id,
        reason: 'left the company',
        before: { userId: mallory.user.id, role: 'operator' },
        after: { userId: mallory.user.id, role: null, revokedApiKeyIds: [first.id, second.id].sort() },
      }),
    ]);
  });

  it('granted the role again: the old keys stay revoked, a key made since works', async () => {
    const mallory = await registerOperator(server);
    const boss = await registerOperator(server);
    const old = await platformKey(mallory);
    const victim = await registerVerifiedUser(server);
    expect((await revoke(boss, mallory.user.id)).status).toBe(200);
    const regranted = await trpc(
      server.url,
      'mutation',
      'operators.grant',
      { userId: mallory.user.id },
      boss.accessToken,
    );
    expect(regranted.status).toBe(200);

    expect(await actFor(old.key, victim.user.id, 'old-1')).toEqual({
      subscription: 401,
      authorize: 401,
      rest: 401,
    });
    const fresh = await platformKey(mallory, 'after coming back');
    expect(await actFor(fresh.key, victim.user.id, 'fresh-1')).toEqual({
      subscription: 200,
      authorize: 200,
      rest: 200,
    });
    expect(await reserved(victim.user.id, 'fresh-1')).toBe(true);
    expect(await reserved(victim.user.id, 'old-1')).toBe(false);
  });

  it('a refused revocation (the last operator) revokes nothing; a revoke with no keys says so', async () => {
    const solo = await registerOperator(server);
    const own = await platformKey(solo);
    expect((await revoke(solo, solo.user.id)).status).toBe(409);
    const victim = await registerVerifiedUser(server);
    expect(await actFor(own.key, victim.user.id, 'solo-1')).toEqual({
      subscription: 200,
      authorize: 200,
      rest: 200,
    });

    // Support makes no platform keys; revoking it revokes none.
    const helper = await registerSupport(server);
    expect(
      (
        await trpc(
          server.url,
          'mutation',
          'apiKeys.create',
          { name: 'nope', scopes: ['runs:authorize'] },
          helper.accessToken,
        )
      ).status,
    ).toBe(403);
    const revoked = await revoke(solo, helper.user.id, 'rotation');
    expect(revoked.data).toEqual({ userId: helper.user.id, revoked: true, revokedApiKeyIds: [] });
  });

  it('an operator revoked while their key was being made gets no key (the role is read again as the key is written)', async () => {
    const mallory = await registerOperator(server);
    const boss = await registerOperator(server);
    // The window between operatorProcedure's role check and the key's insert, held open (a slow pool,
    // a GC pause) until the revocation has committed; the service then runs as is.
    const { apiKeys } = server.services;
    const create = apiKeys.create.bind(apiKeys);
    let reached: () => void = () => {};
    const atCreate = new Promise<void>((resolve) => (reached = resolve));
    let release: () => void = () => {};
    const revoked = new Promise<void>((resolve) => (release = resolve));
    apiKeys.create = async (...args) => {
      reached();
      await revoked;
      return create(...args);
    };
    try {
      const creating = trpc<CreatedKey>(
        server.url,
        'mutation',
        'apiKeys.create',
        { name: 'made while losing the role', scopes: ['runs:authorize'] },
        mallory.accessToken,
      );
      await atCreate;
      expect((await revoke(boss, mallory.user.id)).status).toBe(200);
      release();
      expect((await creating).status).toBe(403);
    } finally {
      apiKeys.create = create;
    }
    const listed = await trpc<(KeyView & { createdByUserId: string })[]>(
      server.url,
      'query',
      'apiKeys.list',
      undefined,
      boss.accessToken,
    );
    expect(listed.data?.filter((key) => key.createdByUserId === mallory.user.id)).toEqual([]);
  });

  it('keys made while the role is revoked, concurrently: each is refused or revoked with the role, none stays live', async () => {
    const mallory = await registerOperator(server);
    const boss = await registerOperator(server);
    const making = Array.from({ length: 24 }, (_, i) =>
      trpc<CreatedKey>(
        server.url,
        'mutation',
        'apiKeys.create',
        { name: `race ${i}`, scopes: ['runs:authorize'] },
        mallory.accessToken,
      ),
    );
    const [revoked, ...made] = await Promise.all([revoke(boss, mallory.user.id), ...making]);
    expect(revoked.status).toBe(200);
    for (const answer of made) expect([200, 403]).toContain(answer.status);
    const listed = await trpc<(KeyView & { createdByUserId: string })[]>(
      server.url,
      'query',
      'apiKeys.list',
      undefined,
      boss.accessToken,
    );
    const live = (listed.data ?? []).filter(
      (key) => key.createdByUserId === mallory.user.id && key.revokedAt === null,
    );
    expect(live).toEqual([]);
    const madeIds = made.flatMap((answer) => (answer.data ? [answer.data.id] : []));
    expect([...(revoked.data?.revokedApiKeyIds ?? [])].sort()).toEqual([...madeIds].sort());
  });
});
