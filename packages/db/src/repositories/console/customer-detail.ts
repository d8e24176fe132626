import type { AccountRole } from '@tollgate/domain';
import { asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../database';
import { queryRows } from '../../raw-query';
import { accountMemberships, users } from '../../schema';

export interface AccountMemberView {
  userId: string;
  email: string;
  role: AccountRole;
}

const ROLE_ORDER = sql`case ${accountMemberships.role} when 'owner' then 0 when 'admin' then 1 else 2 end`;

/** An account's members with their email (owners first, then admins, then members; by email). */
export async function listAccountMembersWithEmail(
  db: Database,
  accountId: string,
): Promise<AccountMemberView[]> {
  const rows = await db
    .select({ userId: accountMemberships.userId, email: users.email, role: accountMemberships.role })
    .from(accountMemberships)
    .innerJoin(users, eq(users.id, accountMemberships.userId))
    .where(eq(accountMemberships.accountId, accountId))
    .orderBy(ROLE_ORDER, asc(users.email), asc(accountMemberships.userId));
  return rows.map((row) => ({ userId: row.userId, email: row.email ?? '', role: row.role }));
}

/**
 * Runs per UTC day from `fromDay` (YYYY-MM-DD, included), days without runs absent: every run that
 * holds its charge (reserved, started or settled), on the day it was reserved, as revenue analytics
 * counts them (a user's own authorization is a charged run before any service starts it). A released
 * run gave its charge back and isn't counted.
 */
export async function countRunsPerDay(
  db: Database,
  accountId: string,
  fromDay: string,
): Promise<Map<string, number>> {
  const rows = await queryRows<{ day: string; runs: number | string }>(
    db,
    sql`select to_char(reserved_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*) as runs
      from usage_ledger
      where account_id = ${accountId} and state <> 'released'
        and reserved_at >= ${fromDay}::date::timestamp at time zone 'UTC'
      group by 1`,
  );
  return new Map(rows.map((row) => [row.day, Number(row.runs)]));
}
