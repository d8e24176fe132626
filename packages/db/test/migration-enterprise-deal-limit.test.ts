import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, queryRows, type Database } from '../src';
import { migrationsFolderBefore } from './migrations-before';

// Migration 0013: an ENTERPRISE deal's run limit moves from an account-wide override (which outlived
// the deal) to the subscription on the deal's price.
/** Journal entries 0000–0012: the schema before it. */
const BEFORE_DEAL_LIMITS = 13;

let before: Awaited<ReturnType<typeof migrationsFolderBefore>>;
let client: PGlite;
let db: Database;

beforeAll(async () => {
  before = await migrationsFolderBefore(BEFORE_DEAL_LIMITS);
  client = await PGlite.create('memory://');
  db = drizzlePglite({ client }) as unknown as Database;
}, 120_000);
afterAll(async () => {
  await client?.close();
  await before?.remove();
});

describe('migrating deal limits to the subscription (0013)', () => {
  it("a live deal's limit is its subscription's, an ended deal's override is cleared (audited), a support limit stays", async () => {
    await migratePglite(drizzlePglite({ client }), { migrationsFolder: before.folder });
    const account = (user: string) => `personal_account_id('${user}')`;
    await client.exec(`
      insert into users (id, email, auth_source) values
        ('live', 'live@example.test', 'password'), ('ended', 'ended@example.test', 'password'),
        ('gesture', 'gesture@example.test', 'password');
      insert into accounts (id, kind, personal_user_id, created_by_user_id)
        select personal_account_id(id), 'personal', id, id from users;
      insert into subscriptions (account_id, plan, status, stripe_price_id) values
        (${account('live')}, 'ENTERPRISE', 'active', 'price_deal_live'),
        (${account('ended')}, 'FREE', 'canceled', 'price_deal_ended'),
        (${account('gesture')}, 'PRO', 'active', 'price_pro');
      insert into enterprise_deals (account_id, stripe_price_id, price_cents, interval, run_limit, collection,
          days_until_due, created_by) values
        (${account('live')}, 'price_deal_live', 100000, 'month', 5000, 'send_invoice', 30, 'op'),
        (${account('ended')}, 'price_deal_ended', 100000, 'month', 800, 'send_invoice', 30, 'op');
      insert into account_overrides (account_id, run_limit, updated_by) values
        (${account('live')}, 5000, 'op'), (${account('ended')}, 800, 'op'), (${account('gesture')}, 42, 'op');`);
    await migratePglite(drizzlePglite({ client }), { migrationsFolder: MIGRATIONS_FOLDER });

    const limits = await queryRows<{ user: string; custom: number | null; override: number | null }>(
      db,
      sql`select a.personal_user_id as user, s.custom_run_limit as custom, o.run_limit as override
          from accounts a join subscriptions s on s.account_id = a.id join account_overrides o on o.account_id = a.id
          order by 1`,
    );
    expect(limits).toEqual([
      { user: 'ended', custom: null, override: null },
      { user: 'gesture', custom: null, override: 42 },
      { user: 'live', custom: 5000, override: null },
    ]);
    const audit = await queryRows<{ account: string; before: unknown; after: unknown }>(
      db,
      sql`select account_id as account, before, after from operator_audit_log
          where action = 'set_run_limit' and actor_user_id = 'system' order by before ->> 'runLimit'`,
    );
    expect(audit.map((row) => [row.before, row.after])).toEqual([
      [{ runLimit: 5000 }, { runLimit: null }],
      [{ runLimit: 800 }, { runLimit: null }],
    ]);
  });
});
