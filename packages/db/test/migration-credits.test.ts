import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, queryRows, type Database } from '../src';
import { readBooks } from './credit-helpers';
import { migrationsFolderBefore } from './migrations-before';

// Migration 0006 (credits) says where each run's units are: before it, all of them were the period
// allowance's, so every run holds what the ledger charges it from the allowance, and the books balance.
/** Journal entries 0000–0005: the schema before credits. */
const BEFORE_CREDITS = 6;

let before: Awaited<ReturnType<typeof migrationsFolderBefore>>;
let client: PGlite;
let db: Database;

beforeAll(async () => {
  before = await migrationsFolderBefore(BEFORE_CREDITS);
  client = await PGlite.create('memory://');
  db = drizzlePglite({ client }) as unknown as Database;
}, 120_000);
afterAll(async () => {
  await client?.close();
  await before?.remove();
});

describe('migrating to credits (0006)', () => {
  it('runs recorded before hold their units from the allowance: reserved, started, settled; released none', async () => {
    await migratePglite(drizzlePglite({ client }), { migrationsFolder: before.folder });
    await client.exec(`
      insert into users (id, email, auth_source, created_at) values ('u1', 'u1@example.test', 'password', '2026-01-01T00:00:00Z');
      insert into accounts (id, kind, personal_user_id, created_by_user_id, created_at)
        values (personal_account_id('u1'), 'personal', 'u1', 'u1', '2026-01-01T00:00:00Z');
      insert into usage_periods (account_id, id, period_start, period_end, used, run_limit)
        values (personal_account_id('u1'), '00000000-0000-4000-8000-000000000001', '2026-11-01T00:00:00Z',
          '2026-12-01T00:00:00Z', 7, 10);
      insert into usage_ledger (account_id, user_id, run_id, period_id, state, units_reserved, units_settled,
          actor_kind, actor_id, fingerprint, reserved_at, started_at, settled_at, released_at, release_reason)
      values
        (personal_account_id('u1'), 'u1', 'reserved', '00000000-0000-4000-8000-000000000001', 'reserved', 1, null,
          'service', 'k', 'f1', '2026-11-02T00:00:00Z', null, null, null, null),
        (personal_account_id('u1'), 'u1', 'started', '00000000-0000-4000-8000-000000000001', 'started', 2, null,
          'service', 'k', 'f2', '2026-11-02T00:00:00Z', '2026-11-02T00:01:00Z', null, null, null),
        (personal_account_id('u1'), 'u1', 'settled', '00000000-0000-4000-8000-000000000001', 'settled', 4, 4,
          'service', 'k', 'f3', '2026-11-02T00:00:00Z', '2026-11-02T00:01:00Z', '2026-11-02T00:02:00Z', null, null),
        (personal_account_id('u1'), 'u1', 'released', '00000000-0000-4000-8000-000000000001', 'released', 1, null,
          'service', 'k', 'f4', '2026-11-02T00:00:00Z', null, null, '2026-11-02T00:05:00Z', 'start_timeout')`);
    await migratePglite(drizzlePglite({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
    const rows = await queryRows<{ run_id: string; units_from_allowance: number }>(
      db,
      sql`select run_id, units_from_allowance from usage_ledger order by run_id`,
    );
    expect(rows.map((row) => [row.run_id, Number(row.units_from_allowance)])).toEqual([
      ['released', 0],
      ['reserved', 1],
      ['settled', 4],
      ['started', 2],
    ]);
    expect(await readBooks(db)).toEqual({
      ledgerUnits: 7,
      bucketUnits: 7,
      unbalancedGrants: [],
      unbalancedRuns: [],
    });
    const tables = await queryRows<{ name: string }>(
      db,
      sql`select table_name as name from information_schema.tables
          where table_name in ('credit_grants', 'run_draws') order by 1`,
    );
    expect(tables.map((table) => table.name)).toEqual(['credit_grants', 'run_draws']);
  });
});
