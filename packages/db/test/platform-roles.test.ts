import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  claimOperatorBootstrap,
  countPlatformOperators,
  createOperatorBootstrapToken,
  findPlatformRole,
  findPlatformRoleForKey,
  grantPlatformRole,
  insertApiKey,
  listApiKeys,
  listPlatformOperators,
  revokePlatformKeysBeyondRole,
  revokePlatformRole,
} from '../src';
import { apiKeys } from '../src/schema';
import { makeUser, useTestDb } from './fixtures';
import { postgresServerUrl, withTwoPools } from './two-pools';

const handle = useTestDb();

const T0 = new Date('2025-03-10T12:00:00Z');
const T1 = new Date('2025-03-10T13:00:00Z');
const TOMORROW = new Date('2025-03-11T12:00:00Z');

describe('platform roles', () => {
  it('grants once (a repeated grant keeps the first grantor), lists, counts and finds the role', async () => {
    const ada = await makeUser(handle.db);
    const bob = await makeUser(handle.db);
    expect(await findPlatformRole(handle.db, ada.id)).toBeNull();
    expect(await grantPlatformRole(handle.db, { userId: ada.id, grantedBy: 'cli', now: T0 })).toMatchObject({
      userId: ada.id,
      role: 'operator',
      grantedBy: 'cli',
      grantedAt: T0,
    });
    await grantPlatformRole(handle.db, { userId: ada.id, grantedBy: bob.id, now: T1 });
    await grantPlatformRole(handle.db, { userId: bob.id, grantedBy: ada.id, now: T1 });
    expect(await findPlatformRole(handle.db, ada.id)).toBe('operator');
    expect(await countPlatformOperators(handle.db)).toBe(2);
    expect(await listPlatformOperators(handle.db)).toEqual([
      expect.objectContaining({ userId: ada.id, grantedBy: 'cli', grantedAt: T0, email: ada.email }),
      expect.objectContaining({ userId: bob.id, grantedBy: ada.id, grantedAt: T1 }),
    ]);
    expect(await grantPlatformRole(handle.db, { userId: 'nobody', grantedBy: 'cli', now: T0 })).toBeNull();
  });

  it('revokes, but never the last operator; two operators revoking each other at once leave one', async () => {
    const [ada, bob, eve] = [await makeUser(handle.db), await makeUser(handle.db), await makeUser(handle.db)];
    await grantPlatformRole(handle.db, { userId: ada.id, grantedBy: 'cli', now: T0 });
    expect(await revokePlatformRole(handle.db, eve.id)).toEqual({ kind: 'not_operator' });
    expect(await revokePlatformRole(handle.db, ada.id)).toEqual({ kind: 'last_operator' });
    await grantPlatformRole(handle.db, { userId: bob.id, grantedBy: ada.id, now: T0 });
    const outcomes = await Promise.all([
      revokePlatformRole(handle.db, ada.id),
      revokePlatformRole(handle.db, bob.id),
    ]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['last_operator', 'revoked']);
    expect(await countPlatformOperators(handle.db)).toBe(1);
  });

  it("revoking the role revokes the platform keys the user made, in its transaction: no one else's, no account key", async () => {
    const [ada, bob, helper] = [
      await makeUser(handle.db),
      await makeUser(handle.db),
      await makeUser(handle.db),
    ];
    await grantPlatformRole(handle.db, { userId: ada.id, grantedBy: 'cli', now: T0 });
    await grantPlatformRole(handle.db, { userId: bob.id, grantedBy: ada.id, now: T0 });
    await grantPlatformRole(handle.db, { userId: helper.id, grantedBy: ada.id, now: T0, role: 'support' });
    let n = 0;
    const key = (createdByUserId: string, accountId: string | null = null) => {
      n += 1;
      return insertApiKey(handle.db, {
        name: `key ${n}`,
        prefix: `tg_sk_${n}`,
        keyHash: `hash-${n}`,
        scopes: ['runs:authorize'],
        createdByUserId,
        accountId,
        now: T0,
      });
    };
    const [bobsFirst, bobsSecond, adas, bobsAccountKey] = [
      await key(bob.id),
      await key(bob.id),
      await key(ada.id),
      await key(bob.id, bob.accountId),
    ];
    const alreadyRevoked = await key(bob.id);
    await handle.db.update(apiKeys).set({ revokedAt: T0 }).where(eq(apiKeys.id, alreadyRevoked.id));
    // Support makes no platform keys (only operators do): one found on a support user goes too.
    const helpers = await key(helper.id);

    // An operator keeps theirs (the rule revokes only what the role could not make).
    expect(
      await revokePlatformKeysBeyondRole(handle.db, { userId: bob.id, role: 'operator', now: T1 }),
    ).toEqual([]);
    expect(await revokePlatformRole(handle.db, bob.id, T1)).toEqual({
      kind: 'revoked',
      role: 'operator',
      revokedApiKeyIds: [bobsFirst.id, bobsSecond.id].sort(),
    });
    expect(await revokePlatformRole(handle.db, helper.id, T1)).toEqual({
      kind: 'revoked',
      role: 'support',
      revokedApiKeyIds: [helpers.id],
    });
    const revokedAt = new Map(
      [...(await listApiKeys(handle.db)), ...(await listApiKeys(handle.db, bob.accountId))].map((row) => [
        row.id,
        row.revokedAt,
      ]),
    );
    expect(revokedAt.get(bobsFirst.id)).toEqual(T1);
    expect(revokedAt.get(bobsSecond.id)).toEqual(T1);
    expect(revokedAt.get(alreadyRevoked.id)).toEqual(T0);
    expect(revokedAt.get(helpers.id)).toEqual(T1);
    expect(revokedAt.get(adas.id)).toBeNull();
    // An account key follows the account's membership, not the platform role.
    expect(revokedAt.get(bobsAccountKey.id)).toBeNull();

    // Refused revocations revoke nothing; a key made after the role is granted again stays.
    const platformKey = async (id: string) => (await listApiKeys(handle.db)).find((row) => row.id === id);
    expect(await revokePlatformRole(handle.db, ada.id, T1)).toEqual({ kind: 'last_operator' });
    expect((await platformKey(adas.id))?.revokedAt).toBeNull();
    expect(await revokePlatformRole(handle.db, bob.id, T1)).toEqual({ kind: 'not_operator' });
    await grantPlatformRole(handle.db, { userId: bob.id, grantedBy: ada.id, now: T1 });
    const bobsNew = await key(bob.id);
    expect((await platformKey(bobsNew.id))?.revokedAt).toBeNull();
    expect((await platformKey(bobsFirst.id))?.revokedAt).toEqual(T1);
  });
});

describe('operator bootstrap tokens', () => {
  it('make the first operator once: unknown, expired and used tokens are refused, and none work after', async () => {
    const [ada, bob] = [await makeUser(handle.db), await makeUser(handle.db)];
    await createOperatorBootstrapToken(handle.db, { tokenHash: 'hash-a', expiresAt: TOMORROW, now: T0 });
    await createOperatorBootstrapToken(handle.db, { tokenHash: 'hash-b', expiresAt: TOMORROW, now: T0 });
    await createOperatorBootstrapToken(handle.db, { tokenHash: 'hash-old', expiresAt: T1, now: T0 });

    const claim = (tokenHash: string, userId: string, now = T1) =>
      claimOperatorBootstrap(handle.db, { tokenHash, userId, now });
    expect(await claim('hash-unknown', ada.id)).toBe('invalid_token');
    expect(await claim('hash-old', ada.id)).toBe('invalid_token'); // expires_at = now: expired
    expect(await claim('hash-a', 'no-such-user')).toBe('unknown_user');
    expect(await claim('hash-a', ada.id)).toBe('granted');
    expect(await listPlatformOperators(handle.db)).toEqual([
      expect.objectContaining({ userId: ada.id, grantedBy: 'bootstrap', grantedAt: T1 }),
    ]);
    expect(await claim('hash-b', bob.id)).toBe('operator_exists');

    // Even with no operator left (taken away in the database), a used token stays used.
    await handle.db.execute(sql`update users set platform_role = null`);
    expect(await claim('hash-a', bob.id)).toBe('invalid_token');
    expect(await claim('hash-b', bob.id)).toBe('granted');
  });

  it('two claims at once with two different tokens: exactly one operator', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => makeUser(handle.db)));
    for (const [index] of users.entries()) {
      await createOperatorBootstrapToken(handle.db, { tokenHash: `hash-${index}`, expiresAt: TOMORROW });
    }
    const outcomes = await Promise.all(
      users.map((user, index) =>
        claimOperatorBootstrap(handle.db, { tokenHash: `hash-${index}`, userId: user.id, now: T1 }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'granted')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'operator_exists')).toHaveLength(3);
    expect(await countPlatformOperators(handle.db)).toBe(1);
  });
});

describe.skipIf(!postgresServerUrl)(
  'a platform key being made while its maker loses the role (PostgreSQL)',
  () => {
    it('the revocation waits for the key to commit, then revokes it with the others', async () => {
      await withTwoPools(async (a, b) => {
        const mallory = await makeUser(a);
        const boss = await makeUser(a);
        for (const user of [mallory, boss])
          await grantPlatformRole(a, { userId: user.id, grantedBy: 'cli', now: T0 });
        let keyWritten: () => void = () => {};
        const written = new Promise<void>((resolve) => (keyWritten = resolve));
        let commit: () => void = () => {};
        const committing = new Promise<void>((resolve) => (commit = resolve));
        // The service's create: the role read under the lock's shared side, the key written, then held
        // open (a slow commit) while the revocation starts on the other process.
        const making = a.transaction(async (tx) => {
          expect(await findPlatformRoleForKey(tx, mallory.id)).toBe('operator');
          const key = await insertApiKey(tx, {
            name: 'in flight',
            prefix: 'tg_live_in',
            keyHash: 'hash-in-flight',
            scopes: ['runs:authorize'],
            createdByUserId: mallory.id,
            now: T1,
          });
          keyWritten();
          await committing;
          return key;
        });
        await written;
        let settled = false;
        const revoking = revokePlatformRole(b, mallory.id, T1).finally(() => (settled = true));
        await new Promise((resolve) => setTimeout(resolve, 300));
        const waitedForTheKey = !settled;
        commit();
        expect(waitedForTheKey).toBe(true); // the revocation waited for the key's transaction
        const key = await making;
        expect(await revoking).toEqual({ kind: 'revoked', role: 'operator', revokedApiKeyIds: [key.id] });
        // And once revoked, a key being made reads no role.
        expect(await a.transaction((tx) => findPlatformRoleForKey(tx, mallory.id))).toBeNull();
      });
    });
  },
);
