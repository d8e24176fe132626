import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  claimOperatorBootstrap,
  countPlatformOperators,
  createOperatorBootstrapToken,
  findPlatformRole,
  grantPlatformRole,
  listPlatformOperators,
  revokePlatformRole,
} from '../src';
import { makeUser, useTestDb } from './fixtures';

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
    expect(await revokePlatformRole(handle.db, eve.id)).toBe('not_operator');
    expect(await revokePlatformRole(handle.db, ada.id)).toBe('last_operator');
    await grantPlatformRole(handle.db, { userId: bob.id, grantedBy: ada.id, now: T0 });
    const outcomes = await Promise.all([
      revokePlatformRole(handle.db, ada.id),
      revokePlatformRole(handle.db, bob.id),
    ]);
    expect(outcomes.sort()).toEqual(['last_operator', 'revoked']);
    expect(await countPlatformOperators(handle.db)).toBe(1);
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
