import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, queryRows, type Database } from '../src';
import { migrationsFolderBefore } from './migrations-before';

// Migration 0005 (notifications) introduces verified addresses: users who signed up before it keep
// their trial and checkout (counted as verified from their sign-up); a host platform's user without an
// address stays unverified in the column (the code counts host users as verified by their platform).
/** Journal entries 0000–0004: the schema before notifications. */
const BEFORE_NOTIFICATIONS = 5;

let folder: string;
let removeFolder: () => Promise<void> = () => Promise.resolve();
let client: PGlite;
let db: Database;

beforeAll(async () => {
  const before = await migrationsFolderBefore(BEFORE_NOTIFICATIONS);
  folder = before.folder;
  removeFolder = before.remove;
  client = await PGlite.create('memory://');
  db = drizzlePglite({ client }) as unknown as Database;
}, 120_000);
afterAll(async () => {
  await client?.close();
  await removeFolder();
});

describe('migrating to notifications (0005)', () => {
  it('counts existing password users as verified from their sign-up, and only them', async () => {
    await migratePglite(drizzlePglite({ client }), { migrationsFolder: folder });
    await db.execute(sql`
      insert into users (id, email, password_hash, auth_source, created_at) values
        ('alice', 'alice@example.test', 'hash', 'password', '2026-01-02T03:04:05Z'),
        ('host-bob', null, null, 'host', '2026-02-01T00:00:00Z')`);
    await migratePglite(drizzlePglite({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
    const rows = await queryRows<{ id: string; email_verified_at: string | Date | null }>(
      db,
      sql`select id, email_verified_at from users order by id`,
    );
    expect(
      rows.map((row) => [row.id, row.email_verified_at && new Date(row.email_verified_at).toISOString()]),
    ).toEqual([
      ['alice', '2026-01-02T03:04:05.000Z'],
      ['host-bob', null],
    ]);
    const tables = await queryRows<{ name: string }>(
      db,
      sql`select table_name as name from information_schema.tables
          where table_name in ('email_outbox', 'email_tokens', 'notifications', 'notification_preferences', 'usage_alert_settings')
          order by table_name`,
    );
    expect(tables.map((table) => table.name)).toEqual([
      'email_outbox',
      'email_tokens',
      'notification_preferences',
      'notifications',
      'usage_alert_settings',
    ]);
  });
});
