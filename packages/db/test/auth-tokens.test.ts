import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  findActiveApiKeyByHash,
  findRefreshTokenByHash,
  insertApiKey,
  insertRefreshToken,
  listApiKeys,
  revokeAllRefreshTokensForUser,
  revokeApiKey,
  revokeRefreshToken,
  revokeRefreshTokenFamily,
  touchLastUsed,
} from '../src';
import { makeUser, useTestDb } from './fixtures';

const handle = useTestDb();

const T0 = new Date('2025-03-10T12:00:00Z');
const T1 = new Date('2025-03-10T13:00:00Z');
const EXPIRES = new Date('2025-04-10T12:00:00Z');

describe('service API keys', () => {
  it('stores, finds while active, lists, touches and revokes once', async () => {
    const admin = await makeUser(handle.db);
    const key = await insertApiKey(handle.db, {
      name: 'agent backend',
      prefix: 'tg_live_ab',
      keyHash: 'hash-1',
      scopes: ['runs:authorize', 'subscriptions:read'],
      createdByUserId: admin.id,
      now: T0,
    });
    expect(key.scopes).toEqual(['runs:authorize', 'subscriptions:read']);
    expect((await findActiveApiKeyByHash(handle.db, 'hash-1'))?.id).toBe(key.id);
    expect(await findActiveApiKeyByHash(handle.db, 'hash-unknown')).toBeNull();

    await touchLastUsed(handle.db, key.id, T1);
    const second = await insertApiKey(handle.db, {
      name: 'reports',
      prefix: 'tg_live_cd',
      keyHash: 'hash-2',
      scopes: ['subscriptions:read'],
      createdByUserId: admin.id,
      now: T1,
    });
    const listed = await listApiKeys(handle.db);
    expect(listed.map((k) => k.id)).toEqual([second.id, key.id]);
    expect(listed[1]?.lastUsedAt).toEqual(T1);

    expect(await revokeApiKey(handle.db, key.id, T1)).toBe(true);
    expect(await revokeApiKey(handle.db, key.id, T1)).toBe(false);
    expect(await revokeApiKey(handle.db, 'not-a-uuid')).toBe(false);
    expect(await findActiveApiKeyByHash(handle.db, 'hash-1')).toBeNull();
    expect((await listApiKeys(handle.db)).find((k) => k.id === key.id)?.revokedAt).toEqual(T1);
  });
});

describe('refresh tokens', () => {
  it('rotation: exactly one of two concurrent revocations of the same token wins', async () => {
    const user = await makeUser(handle.db);
    const familyId = randomUUID();
    const token = await insertRefreshToken(handle.db, {
      userId: user.id,
      tokenHash: 'rt-1',
      familyId,
      expiresAt: EXPIRES,
      now: T0,
    });
    const successorId = randomUUID();
    const outcomes = await Promise.all([
      revokeRefreshToken(handle.db, token.id, successorId, T1),
      revokeRefreshToken(handle.db, token.id, randomUUID(), T1),
    ]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const successor = await insertRefreshToken(handle.db, {
      id: successorId,
      userId: user.id,
      tokenHash: 'rt-2',
      familyId,
      expiresAt: EXPIRES,
    });
    expect(successor.id).toBe(successorId);
    // A revoked token is still found, so reuse can be detected.
    expect((await findRefreshTokenByHash(handle.db, 'rt-1'))?.revokedAt).toEqual(T1);
    expect(await findRefreshTokenByHash(handle.db, 'rt-unknown')).toBeNull();
  });

  it('revokes a whole family, or every token of a user, and nobody else', async () => {
    const alice = await makeUser(handle.db);
    const bob = await makeUser(handle.db);
    const family = randomUUID();
    const other = randomUUID();
    await insertRefreshToken(handle.db, {
      userId: alice.id,
      tokenHash: 'a1',
      familyId: family,
      expiresAt: EXPIRES,
    });
    await insertRefreshToken(handle.db, {
      userId: alice.id,
      tokenHash: 'a2',
      familyId: family,
      expiresAt: EXPIRES,
    });
    await insertRefreshToken(handle.db, {
      userId: alice.id,
      tokenHash: 'a3',
      familyId: other,
      expiresAt: EXPIRES,
    });
    await insertRefreshToken(handle.db, {
      userId: bob.id,
      tokenHash: 'b1',
      familyId: randomUUID(),
      expiresAt: EXPIRES,
    });

    expect(await revokeRefreshTokenFamily(handle.db, family, T1)).toBe(2);
    expect(await revokeRefreshTokenFamily(handle.db, family, T1)).toBe(0);
    expect((await findRefreshTokenByHash(handle.db, 'a3'))?.revokedAt).toBeNull();

    expect(await revokeAllRefreshTokensForUser(handle.db, alice.id, T1)).toBe(1);
    expect((await findRefreshTokenByHash(handle.db, 'a3'))?.revokedAt).toEqual(T1);
    expect((await findRefreshTokenByHash(handle.db, 'b1'))?.revokedAt).toBeNull();
  });
});
