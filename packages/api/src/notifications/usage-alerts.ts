import {
  accountBasics,
  getUsageAlertThresholds,
  listUsageNearThresholds,
  type Database,
  type UsageAlertThresholds,
} from '@tollgate/db';
import type { ApiDeps } from '../config';
import { billingLinks, displayAccountName } from './billing-notices';
import { notify, type NotificationEvent } from './notifier';

export interface PeriodUsage {
  accountId: string;
  period: { start: Date; end: Date };
  /** The counter after the run(s) just admitted. */
  used: number;
  limit: number;
  /**
   * The counter before them: only thresholds crossed between the two are checked (the hot path), so an
   * account past 80 % doesn't re-announce it on every run. Absent: every threshold reached (the sweep).
   */
  usedBefore?: number;
}

export type Threshold = { percent: number } | { runsRemaining: number };

/** The thresholds `used` of `limit` has reached (a percent p is reached at ⌈limit × p ÷ 100⌉ runs). */
export function reachedThresholds(
  used: number,
  limit: number,
  thresholds: UsageAlertThresholds,
): Threshold[] {
  if (limit <= 0) return [];
  const reached: Threshold[] = thresholds.percents
    .filter((percent) => used >= Math.ceil((limit * percent) / 100))
    .map((percent) => ({ percent }));
  const { runsRemaining } = thresholds;
  if (runsRemaining !== null && runsRemaining < limit && limit - used <= runsRemaining) {
    reached.push({ runsRemaining });
  }
  return reached;
}

function thresholdKey(threshold: Threshold): string {
  return 'percent' in threshold ? `${threshold.percent}%` : `${threshold.runsRemaining}-left`;
}

/**
 * Alerts of periods that started before this instant keep their first key (period start + threshold):
 * they went out under it, and another key would send them again. Later periods' keys name the limit
 * too, so a limit changed mid-period (an upgrade that keeps the period, an operator's limit) owes the
 * new limit's alerts. Delete this, and the old key, once no period in force started before it.
 */
const LIMIT_KEYED_PERIODS_FROM = Date.parse('2026-12-07T00:00:00Z');

/** Once per period, limit and threshold. */
function alertKey(usage: PeriodUsage, threshold: Threshold): string {
  const key = `${usage.period.start.toISOString()}:${thresholdKey(threshold)}`;
  return usage.period.start.getTime() < LIMIT_KEYED_PERIODS_FROM ? key : `${key}:of-${usage.limit}`;
}

const THRESHOLDS_TTL_MS = 30_000;
/** How long the hot path's observations are gathered before one check. */
const OBSERVE_WINDOW_MS = 25;

/**
 * Usage alerts: once per period, limit and threshold (80 % and 100 % of the period's allowance by
 * default, per account also a number of runs remaining). Level-triggered and idempotent: an alert is
 * owed when the period's counter is at or past a threshold, and its key (see `alertKey`) makes it once.
 * The hot path checks the accounts a batch just charged, after answering (never on the run's
 * latency); the periodic pass (`sweep`) finds any the process didn't get to (a crash between the
 * batch's commit and the alert), so none is lost. One batch crossing 80 % and 100 % owes both.
 */
export function createUsageAlerts(deps: ApiDeps) {
  const { db, now, logger, config } = deps;
  const cache = new Map<string, { thresholds: UsageAlertThresholds; at: number }>();

  async function thresholdsOf(accountIds: string[]): Promise<Map<string, UsageAlertThresholds>> {
    const at = Date.now();
    const result = new Map<string, UsageAlertThresholds>();
    const missing = accountIds.filter((id) => {
      const hit = cache.get(id);
      if (hit && at - hit.at < THRESHOLDS_TTL_MS) result.set(id, hit.thresholds);
      return !result.has(id);
    });
    for (const [id, thresholds] of await getUsageAlertThresholds(db, missing)) {
      cache.set(id, { thresholds, at });
      result.set(id, thresholds);
    }
    if (cache.size > 10_000) cache.clear();
    return result;
  }

  async function alert(tx: Database, usage: PeriodUsage, thresholds: Threshold[]): Promise<void> {
    const accountName = displayAccountName((await accountBasics(tx, usage.accountId))?.name);
    const { upgradeUrl } = billingLinks(config.appUrl);
    for (const threshold of thresholds) {
      const event: NotificationEvent = {
        email: {
          kind: 'usage_alert',
          accountName,
          threshold,
          used: usage.used,
          limit: usage.limit,
          periodEndsAt: usage.period.end,
          upgradeUrl,
        },
        accountId: usage.accountId,
        key: alertKey(usage, threshold),
        audience: { to: 'billing-admins', accountId: usage.accountId },
      };
      await notify(tx, event, now());
    }
  }

  /** Checks each usage against its account's thresholds; alerts for those newly reached. */
  async function check(usages: readonly PeriodUsage[]): Promise<void> {
    if (usages.length === 0) return;
    const thresholds = await thresholdsOf([...new Set(usages.map((usage) => usage.accountId))]);
    for (const usage of usages) {
      const settings = thresholds.get(usage.accountId);
      if (!settings) continue;
      const before =
        usage.usedBefore === undefined
          ? new Set<string>()
          : new Set(reachedThresholds(usage.usedBefore, usage.limit, settings).map(thresholdKey));
      const crossed = reachedThresholds(usage.used, usage.limit, settings).filter(
        (threshold) => !before.has(thresholdKey(threshold)),
      );
      if (crossed.length > 0) await db.transaction((tx) => alert(tx, usage, crossed));
    }
  }

  let pending: PeriodUsage[] = [];
  /** A check is scheduled and hasn't started: new observations join it. */
  let isScheduled = false;
  /** Scheduled or running checks, until they finish (what `settled` waits for). */
  const inFlight = new Set<Promise<void>>();

  /**
   * Called by the hot path: never delays or fails a run. Observations are gathered for a moment and
   * checked together (one thresholds read for every account not in the cache); a failure is logged
   * and left to the sweep.
   */
  function observe(usages: readonly PeriodUsage[]): void {
    pending.push(...usages);
    if (isScheduled) return;
    isScheduled = true;
    const run: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, OBSERVE_WINDOW_MS).unref())
      .then(() => {
        isScheduled = false;
        const batch = pending;
        pending = [];
        return check(batch);
      })
      .catch((error: unknown) =>
        logger.warn('usage alert check failed; the periodic pass will catch up', { error: String(error) }),
      )
      .finally(() => inFlight.delete(run));
    inFlight.add(run);
  }

  /** Resolves once everything observed so far has been checked and its alerts written (tests; shutdown). */
  async function settled(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }

  /** Every current period at or past one of its account's thresholds (alerts already sent are no-ops). */
  async function sweep(): Promise<void> {
    const rows = await listUsageNearThresholds(db, now());
    await check(
      rows.map((row) => ({
        accountId: row.accountId,
        period: { start: row.periodStart, end: row.periodEnd },
        used: row.used,
        limit: row.runLimit,
      })),
    );
  }

  function forget(accountId: string): void {
    cache.delete(accountId);
  }

  return { observe, settled, check, sweep, forget };
}

export type UsageAlerts = ReturnType<typeof createUsageAlerts>;
