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
  it("a live deal's limit is its subscription's; a deal's own override is cleared (audited); deliberate limits stay", async () => {
    await migratePglite(drizzlePglite({ client }), { migrationsFolder: before.folder });
    const account = (user: string) => `personal_account_id('${user}')`;
    // The audit rows the old code wrote: the deal set the override (before → after), an operator's
    // set_run_limit likewise.
    const audit = (user: string, action: string, at: string, from: number | null, to: number) =>
      `('op', 'operator', '${action}', ${account(user)}, '${at}',
        '{"runLimit": ${from === null ? 'null' : from}}', '{"runLimit": ${to}}', 'x')`;
    await client.exec(`
      insert into users (id, email, auth_source) values
        ('live', 'live@example.test', 'password'), ('ended', 'ended@example.test', 'password'),
        ('gesture', 'gesture@example.test', 'password'), ('later', 'later@example.test', 'password'),
        ('unmade', 'unmade@example.test', 'password');
      insert into accounts (id, kind, personal_user_id, created_by_user_id)
        select personal_account_id(id), 'personal', id, id from users;
      insert into subscriptions (account_id, plan, status, stripe_price_id) values
        (${account('live')}, 'ENTERPRISE', 'active', 'price_deal_live'),
        (${account('ended')}, 'FREE', 'canceled', 'price_deal_ended'),
        (${account('gesture')}, 'PRO', 'active', 'price_pro'),
        (${account('later')}, 'PRO', 'active', 'price_pro'),
        (${account('unmade')}, 'FREE', 'active', null);
      insert into enterprise_deals (account_id, stripe_price_id, price_cents, interval, run_limit, collection,
          days_until_due, created_by, stripe_subscription_id) values
        (${account('live')}, 'price_deal_live', 100000, 'month', 5000, 'send_invoice', 30, 'op', 'sub_live'),
        (${account('ended')}, 'price_deal_ended', 100000, 'month', 800, 'send_invoice', 30, 'op', 'sub_ended'),
        (${account('later')}, 'price_deal_later', 100000, 'month', 1000, 'send_invoice', 30, 'op', 'sub_later'),
        (${account('unmade')}, 'price_deal_unmade', 100000, 'month', 700, 'send_invoice', 30, 'op', null);
      insert into account_overrides (account_id, run_limit, updated_by) values
        (${account('live')}, 5000, 'op'), (${account('ended')}, 800, 'op'), (${account('gesture')}, 42, 'op'),
        (${account('later')}, 1000, 'op'), (${account('unmade')}, 700, 'op');
      insert into operator_audit_log (actor_user_id, actor_role, action, account_id, at, before, after, reason)
      values
        ${audit('live', 'enterprise_deal', '2026-01-01', null, 5000)},
        ${audit('ended', 'set_run_limit', '2025-12-01', null, 300)},
        ${audit('ended', 'enterprise_deal', '2026-01-01', 300, 800)},
        ${audit('gesture', 'set_run_limit', '2026-01-01', null, 42)},
        ${audit('later', 'enterprise_deal', '2026-01-01', null, 1000)},
        ${audit('later', 'set_run_limit', '2026-02-01', 1000, 10)},
        ${audit('later', 'set_run_limit', '2026-03-01', 10, 1000)},
        ${audit('unmade', 'enterprise_deal', '2026-01-01', null, 700)};`);
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
      // An operator set 1,000 deliberately after the deal: it stays.
      { user: 'later', custom: null, override: 1000 },
      { user: 'live', custom: 5000, override: null },
      // The deal never got its subscription: its override stays for an operator to judge.
      { user: 'unmade', custom: null, override: 700 },
    ]);
    const cleared = await queryRows<{ user: string; before: unknown; after: unknown }>(
      db,
      sql`select a.personal_user_id as user, l.before, l.after from operator_audit_log l
          join accounts a on a.id = l.account_id
          where l.actor_user_id = 'system' order by 1`,
    );
    expect(cleared).toEqual([
      { user: 'ended', before: { runLimit: 800 }, after: { runLimit: null } },
      { user: 'live', before: { runLimit: 5000 }, after: { runLimit: null } },
    ]);
  });
});
