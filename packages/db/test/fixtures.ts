import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createUser, ensurePersonalAccount } from '../src';
import { createTestDb, type TestDbHandle } from '../src/testing';
import type { Database } from '../src';

let counter = 0;

/**
 * A user with its personal account (owner membership, FREE subscription); emails are unique per call so
 * tests never collide. `accountId` is the tenant (the personal account), `id` the member; `owner` names
 * both, as sessions and agent runs take them.
 */
export async function makeUser(db: Database, now: Date = new Date('2025-01-15T10:00:00Z')) {
  counter += 1;
  const user = await createUser(db, { email: `user${counter}@example.test`, createdAt: now });
  const accountId = await ensurePersonalAccount(db, user.id, now);
  return { ...user, accountId, owner: { accountId, userId: user.id } };
}

/**
 * One database for the calling test file (PGlite, or a fresh PostgreSQL database with DATABASE_URL),
 * emptied before each test and closed after the file. Read `.db` inside tests, not at import time.
 */
export function useTestDb(): { readonly db: Database } {
  let handle: TestDbHandle | undefined;
  beforeAll(async () => {
    handle = await createTestDb();
  });
  afterAll(async () => {
    await handle?.close();
  });
  beforeEach(async () => {
    await handle?.reset();
  });
  return {
    get db() {
      if (!handle) throw new Error('useTestDb: the database is only open inside tests');
      return handle.db;
    },
  };
}
