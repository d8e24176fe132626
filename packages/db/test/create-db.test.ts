import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { createDb, createUser, findUserById, MIGRATIONS_FOLDER, queryRows } from '../src';
import { createScratchDatabase, testPostgresServerUrl } from '../src/testing';

describe('createDb', () => {
  let tmpRoot: string;

  beforeAll(async () => {
    tmpRoot = await mkdtemp(join(tmpdir(), 'tollgate-pglite-'));
  });
  afterAll(async () => {
    await rm(tmpRoot, { recursive: true, force: true });
  });

  it('persists a PGlite data folder (created if missing) across close and reopen; migrating again is a no-op', async () => {
    const dataDir = join(tmpRoot, 'not', 'yet', 'there');
    const first = await createDb({ dataDir });
    expect(first.driver).toBe('pglite');
    await createUser(first.db, { id: 'persisted-user', email: 'keep@example.test' });
    await first.close();

    const reopened = await createDb({ dataDir });
    try {
      expect(await findUserById(reopened.db, 'persisted-user')).toMatchObject({ email: 'keep@example.test' });
    } finally {
      await reopened.close();
    }
  });

  it('refuses to guess where the data goes', async () => {
    await expect(createDb({})).rejects.toThrow(/dataDir/);
    await expect(createDb({ databaseUrl: 'mysql://localhost/db' })).rejects.toThrow(/postgres/);
  });
});

// Two server processes starting at once against the same empty PostgreSQL database: without the
// advisory lock both would try to create the same tables and one would crash. (PostgreSQL only: a
// PGlite data folder is opened by one process at a time.)
const serverUrl = testPostgresServerUrl();
if (serverUrl) {
  describe('createDb on PostgreSQL', () => {
    it('migrates safely when several processes start at once', async () => {
      const scratch = await createScratchDatabase(serverUrl);
      try {
        const handles = await Promise.all(
          Array.from({ length: 4 }, () => createDb({ databaseUrl: scratch.url, poolSize: 2 })),
        );
        try {
          expect(handles.map((h) => h.driver)).toEqual(['postgres', 'postgres', 'postgres', 'postgres']);
          const [first] = handles;
          if (!first) throw new Error('no handle');
          const applied = await queryRows(
            first.db,
            sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
          );
          expect(applied).toEqual([
            { n: readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length },
          ]);
          await createUser(first.db, { id: 'after-migration' });
        } finally {
          await Promise.all(handles.map((h) => h.close()));
        }
      } finally {
        await scratch.drop();
      }
    });
  });
}
