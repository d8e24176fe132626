import { eq, sql } from 'drizzle-orm';
import type { AccountOverrides, CheckoutPlanId } from '@tollgate/domain';
import type { Database } from '../database';
import { queryPreparedRows, queryRows } from '../raw-query';
import { tableRows } from '../table-rows';
import { accountOverrides, operatorAuditLog } from '../schema';
import type { AccountOverridesRow } from '../schema';

/** One change of an account's overrides (undefined: leave as is; null: clear). */
export interface OverridesChange {
  runLimit?: number | null;
  comp?: { plan: CheckoutPlanId; from: Date; until: Date } | null;
  trial?: { start: Date; end: Date } | null;
}

/** Who did it and why: one row of operator_audit_log. */
export interface AuditEntry {
  actorUserId: string;
  actorRole: string;
  action: string;
  accountId: string | null;
  before: unknown;
  after: unknown;
  reason: string;
  requestId: string | null;
  at: Date;
}

export function toAccountOverrides(row: AccountOverridesRow | null | undefined): AccountOverrides | null {
  if (!row) return null;
  return {
    runLimit: row.runLimit,
    compPlan: row.compPlan as CheckoutPlanId | null,
    compFrom: row.compFrom,
    compUntil: row.compUntil,
    trialStart: row.trialStart,
    trialEnd: row.trialEnd,
  };
}

export async function getAccountOverrides(db: Database, accountId: string): Promise<AccountOverrides | null> {
  // Raw and prepared: every subscription webhook reads it (see tableRows).
  const [row] = await queryPreparedRows(
    db,
    sql`select ${OVERRIDES.columns} from account_overrides o where o.account_id = ${accountId}`,
  );
  return toAccountOverrides(row && OVERRIDES.rowOf(row));
}

const OVERRIDES = tableRows(accountOverrides, 'o');

/**
 * Applies a change to an account's overrides and appends its audit row, in the caller's transaction
 * (so the change and its record commit together). The row is locked while it changes: concurrent
 * operators' changes apply one after the other, each seeing the other's result as its `before`.
 */
export async function changeAccountOverrides(
  tx: Database,
  input: {
    accountId: string;
    change: OverridesChange;
    audit: Omit<AuditEntry, 'before' | 'after' | 'accountId'>;
    /** Recorded next to the overrides in the audit row's `after` (what else the action did). */
    auditDetail?: Record<string, unknown>;
  },
): Promise<{ before: AccountOverrides | null; after: AccountOverrides }> {
  const { accountId, change, audit } = input;
  await tx
    .insert(accountOverrides)
    .values({ accountId, updatedBy: audit.actorUserId, updatedAt: audit.at })
    .onConflictDoNothing();
  const [locked] = await tx
    .select()
    .from(accountOverrides)
    .where(eq(accountOverrides.accountId, accountId))
    .for('update');
  const before = toAccountOverrides(locked);
  const values: Partial<AccountOverridesRow> = { updatedAt: audit.at, updatedBy: audit.actorUserId };
  if (change.runLimit !== undefined) values.runLimit = change.runLimit;
  if (change.comp !== undefined) {
    values.compPlan = change.comp?.plan ?? null;
    values.compFrom = change.comp?.from ?? null;
    values.compUntil = change.comp?.until ?? null;
  }
  if (change.trial !== undefined) {
    values.trialStart = change.trial?.start ?? null;
    values.trialEnd = change.trial?.end ?? null;
  }
  const [row] = await tx
    .update(accountOverrides)
    .set(values)
    .where(eq(accountOverrides.accountId, accountId))
    .returning();
  const after = toAccountOverrides(row);
  if (!after) throw new Error('changeAccountOverrides: the row vanished');
  await appendAudit(tx, {
    ...audit,
    accountId,
    before,
    after: input.auditDetail ? { ...after, ...input.auditDetail } : after,
  });
  return { before, after };
}

/** Appends one audit row (the table refuses anything but INSERT). */
export async function appendAudit(db: Database, entry: AuditEntry): Promise<void> {
  await db.insert(operatorAuditLog).values({
    at: entry.at,
    actorUserId: entry.actorUserId,
    actorRole: entry.actorRole,
    action: entry.action,
    accountId: entry.accountId,
    before: entry.before ?? null,
    after: entry.after ?? null,
    reason: entry.reason,
    requestId: entry.requestId,
  });
}

/** Runs one staff member handed out since `since`: credit grants and fresh trial windows (`after.units`). */
export async function sumUnitsGrantedSince(db: Database, actorUserId: string, since: Date): Promise<number> {
  const [row] = await queryRows<{ units: number }>(
    db,
    sql`select coalesce(sum((after ->> 'units')::int), 0)::int as units from operator_audit_log
        where actor_user_id = ${actorUserId} and action in ('grant_credits', 'restart_trial', 'extend_trial')
          and at > ${since.toISOString()}::timestamptz`,
  );
  return row?.units ?? 0;
}

/** Audit rows, newest first, optionally of one account, actor or action. */
export async function listAudit(
  db: Database,
  filter: { accountId?: string; actorUserId?: string; action?: string; limit?: number; beforeId?: number },
) {
  const conditions = [
    filter.accountId ? sql`account_id = ${filter.accountId}` : null,
    filter.actorUserId ? sql`actor_user_id = ${filter.actorUserId}` : null,
    filter.action ? sql`action = ${filter.action}` : null,
    filter.beforeId ? sql`id < ${filter.beforeId}` : null,
  ].filter((condition) => condition !== null);
  const where = conditions.length > 0 ? sql.join(conditions, sql` and `) : sql`true`;
  return db
    .select()
    .from(operatorAuditLog)
    .where(where)
    .orderBy(sql`${operatorAuditLog.id} desc`)
    .limit(Math.min(filter.limit ?? 100, 1000));
}
