import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, createUser, findUserByEmail } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_URL,
  createScratchDatabase,
  query,
  type ScratchDatabase,
} from '../src/postgres/scratch-database';

// The backup and restore commands of docs/production.md (section 5), run with the PostgreSQL
// client tools against a migrated Tollgate database, minus the `docker compose exec` around them.
function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) throw new Error(`${command}: ${result.error.message} (install the PostgreSQL client)`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
}

describe('PostgreSQL backup and restore (docs/production.md)', () => {
  const work = mkdtempSync(join(tmpdir(), 'tollgate-backup-'));
  const dumpFile = join(work, 'tollgate.dump');
  let database: ScratchDatabase;

  beforeAll(async () => {
    database = await createScratchDatabase('tollgate_backup');
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('restores exactly the backed-up state, and the server then migrates it without complaint', async () => {
    const before = await createDb({ databaseUrl: database.url, poolSize: 2 });
    try {
      await createUser(before.db, { email: 'kept@example.com' });
    } finally {
      await before.close();
    }

    run('pg_dump', ['--format=custom', '--file', dumpFile, database.url]);

    // What happens after the backup: new data, and a table a later migration would have added.
    const after = await createDb({ databaseUrl: database.url, migrate: false, poolSize: 2 });
    try {
      await createUser(after.db, { email: 'lost@example.com' });
    } finally {
      await after.close();
    }
    await query(database.url, 'create table added_after_backup (id int)');

    // dropdb --force && createdb, then pg_restore --single-transaction, as the guide says.
    run('dropdb', ['--force', `--maintenance-db=${ADMIN_URL}`, database.name]);
    run('createdb', [`--maintenance-db=${ADMIN_URL}`, database.name]);
    run('pg_restore', [
      '--no-owner',
      '--exit-on-error',
      '--single-transaction',
      '--dbname',
      database.url,
      dumpFile,
    ]);

    // createDb migrates, as the server does at start: the restored journal says all is applied.
    const restored = await createDb({ databaseUrl: database.url, poolSize: 2 });
    try {
      expect(await findUserByEmail(restored.db, 'kept@example.com')).not.toBeNull();
      expect(await findUserByEmail(restored.db, 'lost@example.com')).toBeNull();
      expect(await query(database.url, "select to_regclass('public.added_after_backup') as name")).toEqual([
        { name: null },
      ]);
    } finally {
      await restored.close();
    }
  });
});
