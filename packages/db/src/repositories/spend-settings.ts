import { eq, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { accountSpendSettings } from '../schema';
import type { AccountSpendSettingsRow } from '../schema';

/** What an account's admins change (undefined: leave as is; null: clear). */
export interface SpendSettingsChange {
  overageEnabled?: boolean;
  /** The account's own cap: in money or in runs, or none. */
  cap?: { cents: number } | { runs: number } | null;
  /** The operator's cap (only operators set it). */
  operatorCap?: { cents: number } | { runs: number } | null;
  autoTopUp?: { threshold: number; packId: string; monthlyLimit: number } | null;
}

export async function getSpendSettings(
  db: Database,
  accountId: string,
): Promise<AccountSpendSettingsRow | null> {
  const [row] = await db
    .select()
    .from(accountSpendSettings)
    .where(eq(accountSpendSettings.accountId, accountId))
    .limit(1);
  return row ?? null;
}

/**
 * Applies a change in one upsert (the row is created on the first change). A raised cap is read by the
 * very next reservation statement: it takes effect at once.
 */
export async function changeSpendSettings(
  db: Database,
  accountId: string,
  change: SpendSettingsChange,
  now: Date,
): Promise<AccountSpendSettingsRow> {
  const values: Partial<AccountSpendSettingsRow> = { updatedAt: now };
  if (change.overageEnabled !== undefined) values.overageEnabled = change.overageEnabled;
  if (change.cap !== undefined) {
    values.capCents = change.cap && 'cents' in change.cap ? change.cap.cents : null;
    values.capRuns = change.cap && 'runs' in change.cap ? change.cap.runs : null;
  }
  if (change.operatorCap !== undefined) {
    values.operatorCapCents =
      change.operatorCap && 'cents' in change.operatorCap ? change.operatorCap.cents : null;
    values.operatorCapRuns =
      change.operatorCap && 'runs' in change.operatorCap ? change.operatorCap.runs : null;
  }
  if (change.autoTopUp !== undefined) {
    values.autoTopUpEnabled = change.autoTopUp !== null;
    values.autoTopUpThreshold = change.autoTopUp?.threshold ?? null;
    values.autoTopUpPackId = change.autoTopUp?.packId ?? null;
    values.autoTopUpMonthlyLimit = change.autoTopUp?.monthlyLimit ?? null;
  }
  const [row] = await db
    .insert(accountSpendSettings)
    .values({ accountId, ...values })
    .onConflictDoUpdate({ target: accountSpendSettings.accountId, set: values })
    .returning();
  if (!row) throw new Error('changeSpendSettings: no row returned');
  return row;
}

/** The overage counter of an account's period (0 when the period row doesn't exist yet). */
export async function getPeriodOverage(db: Database, accountId: string, periodStart: Date): Promise<number> {
  const [row] = await queryRows<{ overage_used: number }>(
    db,
    sql`select overage_used from usage_periods
        where account_id = ${accountId} and period_start = ${periodStart.toISOString()}::timestamptz`,
  );
  return Number(row?.overage_used ?? 0);
}
