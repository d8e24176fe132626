import { PGlite } from '@electric-sql/pglite';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { describe, expect, it } from 'vitest';
import {
  addMember,
  createTeamAccount,
  ensureHostOrgAccount,
  MIGRATIONS_FOLDER,
  queryRows,
  removeMember,
  setMemberCap,
  type Database,
} from '../src';
import { makeUser, useTestDb } from './fixtures';
import { migrationsFolderBefore } from './migrations-before';

// A removed member's cap survives removal (removed_member_caps) and is theirs again when they come
// back: by invitation (addMember) or a host org's next token (ensureHostOrgAccount). Before, the
// membership row was its only durable copy: a cap set before the period's first run (no counter row
// yet) was lost, and a host org's member always came back uncapped.
const handle = useTestDb();
const NOW = new Date('2025-03-10T12:00:00Z');
const LATER = new Date('2025-03-11T12:00:00Z');

async function team(db: Database) {
  const owner = await makeUser(db);
  const created = await db.transaction((tx) =>
    createTeamAccount(tx, { userId: owner.id, name: 'Caps', now: NOW, perDayLimit: 5 }),
  );
  if (!created.ok) throw new Error('team not created');
  return created.account.id;
}

async function capOf(db: Database, accountId: string, userId: string) {
  const [row] = await queryRows<{ monthly_run_cap: number | null }>(
    db,
    sql`select monthly_run_cap from account_memberships where account_id = ${accountId} and user_id = ${userId}`,
  );
  return row ? row.monthly_run_cap : 'not a member';
}

async function keptCaps(db: Database, accountId: string) {
  return queryRows<{ user_id: string; monthly_run_cap: number }>(
    db,
    sql`select user_id, monthly_run_cap from removed_member_caps where account_id = ${accountId} order by 1`,
  );
}

const add = (db: Database, accountId: string, userId: string, now = LATER) =>
  db.transaction((tx) => addMember(tx, { accountId, userId, role: 'member', now }));
const remove = (db: Database, accountId: string, userId: string) =>
  db.transaction((tx) => removeMember(tx, accountId, userId, NOW));
const cap = (
  db: Database,
  accountId: string,
  userId: string,
  value: number | null,
  periodStart: Date | null,
) => db.transaction((tx) => setMemberCap(tx, { accountId, userId, cap: value, periodStart }));

describe('a removed member’s cap', () => {
  it('set before the period’s first run, survives remove + re-add (and the kept copy goes)', async () => {
    const db = handle.db;
    const teamId = await team(db);
    const member = await makeUser(db);
    await add(db, teamId, member.id, NOW);
    expect(await cap(db, teamId, member.id, 1, null)).toBe(true);

    expect(await remove(db, teamId, member.id)).toBe(true);
    expect(await capOf(db, teamId, member.id)).toBe('not a member');
    expect(await keptCaps(db, teamId)).toEqual([{ user_id: member.id, monthly_run_cap: 1 }]);

    expect(await add(db, teamId, member.id)).toBe(true);
    expect(await capOf(db, teamId, member.id)).toBe(1);
    expect(await keptCaps(db, teamId)).toEqual([]);
    // Removed again, with the same cap: kept again.
    await remove(db, teamId, member.id);
    expect(await keptCaps(db, teamId)).toEqual([{ user_id: member.id, monthly_run_cap: 1 }]);
  });

  it('a cap the owner lifted (null) stays lifted after re-add, whatever an older counter carried', async () => {
    const db = handle.db;
    const teamId = await team(db);
    const member = await makeUser(db);
    await add(db, teamId, member.id, NOW);
    // An earlier period's counter carried cap 5; the cap is lifted before the current period ran.
    await db.execute(sql`
      insert into usage_periods (account_id, id, period_start, period_end, used, run_limit)
      values (${teamId}, gen_random_uuid(), '2025-01-10T00:00:00Z', '2025-02-10T00:00:00Z', 1, 100)`);
    await cap(db, teamId, member.id, 5, new Date('2025-01-10T00:00:00Z'));
    await cap(db, teamId, member.id, null, null);

    await remove(db, teamId, member.id);
    expect(await keptCaps(db, teamId)).toEqual([]);
    await add(db, teamId, member.id);
    expect(await capOf(db, teamId, member.id)).toBeNull();
  });

  it('caps are kept per account: another team’s re-add of the same user gets none', async () => {
    const db = handle.db;
    const [teamA, teamB] = [await team(db), await team(db)];
    const member = await makeUser(db);
    await add(db, teamA, member.id, NOW);
    await add(db, teamB, member.id, NOW);
    await cap(db, teamA, member.id, 2, null);
    await remove(db, teamA, member.id);
    await remove(db, teamB, member.id);
    await add(db, teamB, member.id);
    expect(await capOf(db, teamB, member.id)).toBeNull();
    expect(await keptCaps(db, teamA)).toEqual([{ user_id: member.id, monthly_run_cap: 2 }]);
  });

  it('a host org’s member an owner removed comes back with its next token capped as before', async () => {
    const db = handle.db;
    const hostOrg = (userId: string, role: 'owner' | 'member') =>
      ensureHostOrgAccount(db, { orgId: 'org-caps', userId, role, now: NOW });
    await db.execute(
      sql`insert into users (id, auth_source) values ('host-owner', 'host'), ('host-member', 'host')`,
    );
    const accountId = await hostOrg('host-owner', 'owner');
    await hostOrg('host-member', 'member');
    await cap(db, accountId, 'host-member', 3, null);
    await remove(db, accountId, 'host-member');

    expect(await hostOrg('host-member', 'member')).toBe(accountId);
    expect(await capOf(db, accountId, 'host-member')).toBe(3);
    expect(await keptCaps(db, accountId)).toEqual([]);
  });
});

describe('migrating to removed_member_caps', () => {
  it('members removed before it keep the cap of their newest counter; members and lifted caps get no row', async () => {
    const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
      entries: { tag: string }[];
    };
    const index = journal.entries.findIndex((entry) => entry.tag.endsWith('_removed_member_caps'));
    expect(index).toBeGreaterThan(0);
    const before = await migrationsFolderBefore(index);
    const client = await PGlite.create('memory://');
    try {
      await migratePglite(drizzlePglite({ client }), { migrationsFolder: before.folder });
      await client.exec(`
        insert into users (id, email, auth_source) values
          ('owner', 'owner@example.test', 'password'), ('gone', 'gone@example.test', 'password'),
          ('lifted', 'lifted@example.test', 'password'), ('stayed', 'stayed@example.test', 'password');
        insert into accounts (id, kind, name, created_by_user_id) values
          ('00000000-0000-4000-8000-000000000001', 'team', 'T', 'owner');
        insert into account_memberships (account_id, user_id, role, monthly_run_cap) values
          ('00000000-0000-4000-8000-000000000001', 'owner', 'owner', null),
          ('00000000-0000-4000-8000-000000000001', 'stayed', 'member', 4);
        insert into usage_periods (account_id, id, period_start, period_end, used, run_limit) values
          ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a1',
           '2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z', 0, 100),
          ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a2',
           '2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z', 0, 100);
        insert into member_usage_periods (account_id, period_id, user_id, used, run_cap) values
          ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a1', 'gone', 0, 3),
          ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a2', 'gone', 0, 7),
          ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a1', 'lifted', 0, 3),
          ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a2', 'lifted', 0, null),
          ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a2', 'stayed', 0, 4);`);
      await migratePglite(drizzlePglite({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
      const kept = await client.query<{ user_id: string; monthly_run_cap: number }>(
        'select user_id, monthly_run_cap from removed_member_caps order by 1',
      );
      expect(kept.rows).toEqual([{ user_id: 'gone', monthly_run_cap: 7 }]);
    } finally {
      await client.close();
      await before.remove();
    }
  }, 120_000);
});
