import { eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { DEFAULT_USAGE_ALERT_PERCENTS, usageAlertSettings } from '../schema';

export interface UsageAlertThresholds {
  percents: number[];
  runsRemaining: number | null;
}

export const DEFAULT_USAGE_ALERT_THRESHOLDS: UsageAlertThresholds = {
  percents: [...DEFAULT_USAGE_ALERT_PERCENTS],
  runsRemaining: null,
};

/** Thresholds per account, defaults for accounts that never set any. */
export async function getUsageAlertThresholds(
  db: Database,
  accountIds: string[],
): Promise<Map<string, UsageAlertThresholds>> {
  const result = new Map<string, UsageAlertThresholds>();
  if (accountIds.length === 0) return result;
  const rows = await db
    .select()
    .from(usageAlertSettings)
    .where(inArray(usageAlertSettings.accountId, accountIds));
  for (const accountId of accountIds) result.set(accountId, DEFAULT_USAGE_ALERT_THRESHOLDS);
  for (const row of rows)
    result.set(row.accountId, { percents: row.percents, runsRemaining: row.runsRemaining });
  return result;
}

export async function setUsageAlertThresholds(
  db: Database,
  accountId: string,
  thresholds: UsageAlertThresholds,
  now: Date,
): Promise<UsageAlertThresholds> {
  const values = { percents: thresholds.percents, runsRemaining: thresholds.runsRemaining, updatedAt: now };
  await db
    .insert(usageAlertSettings)
    .values({ accountId, ...values })
    .onConflictDoUpdate({ target: usageAlertSettings.accountId, set: values });
  return thresholds;
}

export async function usageAlertThresholdsOf(db: Database, accountId: string): Promise<UsageAlertThresholds> {
  const [row] = await db.select().from(usageAlertSettings).where(eq(usageAlertSettings.accountId, accountId));
  return row ? { percents: row.percents, runsRemaining: row.runsRemaining } : DEFAULT_USAGE_ALERT_THRESHOLDS;
}

/**
 * Current periods (containing `now`) whose counter has reached its account's lowest percent threshold
 * or its runs-remaining threshold: the candidates the usage alerts' periodic pass checks.
 */
export async function listUsageNearThresholds(
  db: Database,
  now: Date,
): Promise<{ accountId: string; periodStart: Date; periodEnd: Date; used: number; runLimit: number }[]> {
  const at = now.toISOString();
  const rows = await queryRows<{
    account_id: string;
    period_start: string | Date;
    period_end: string | Date;
    used: number;
    run_limit: number;
  }>(
    db,
    sql`select p.account_id, p.period_start, p.period_end, p.used, p.run_limit
        from usage_periods p left join usage_alert_settings s on s.account_id = p.account_id
        where p.period_start <= ${at}::timestamptz and p.period_end > ${at}::timestamptz
          and p.run_limit > 0 and p.used > 0
          and (p.used * 100 >= p.run_limit * coalesce((select min(x) from unnest(s.percents) x), ${Math.min(...DEFAULT_USAGE_ALERT_PERCENTS)})
               or (s.runs_remaining is not null and p.run_limit - p.used <= s.runs_remaining))`,
  );
  return rows.map((row) => ({
    accountId: row.account_id,
    periodStart: new Date(row.period_start),
    periodEnd: new Date(row.period_end),
    used: row.used,
    runLimit: row.run_limit,
  }));
}
