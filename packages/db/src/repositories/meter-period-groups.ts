import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { meterWindow, toDate } from './meter-periods';

export interface MeterPeriodSpan {
  periodId: string;
  start: Date;
  end: Date;
}

/**
 * The periods one reconciliation compares together: the account's periods that overlap `periodId`'s,
 * transitively (a cancel and resubscribe mid-month leaves P1 [T0, T0+1mo) and P2 [T0+x, …) both
 * standing; a FREE anniversary period can appear beside a canceled paid one). Stripe's event summaries
 * are per customer, not per period, so a window over one of them also counts its neighbours' events.
 *
 * Why a group, not windows cut at the next period's start: a batch's event time is stamped when it is
 * made (now, kept inside its own period) and can never be moved once delivered, while a period row can
 * appear after it was stamped — P2's row comes with the webhook or the first run after Stripe's period
 * start, a FREE period lazily with a start in the past. A cut would then move under delivered events
 * and the periods on either side would see them wrongly (a false repair on one side, a cancel of a
 * genuine batch or a false 'overbilled' on the other). Every event of a group's period lies inside
 * that period's own window, hence inside the group's window; and no event of another period can lie
 * in it (that period would overlap a member, so be one). So Stripe's total over the group's window
 * against the sum of the group's ledgers is exact in any order of flush, repair and period creation.
 * Periods only ever get added (their bounds never change), so a group only grows: a comparison taken
 * before a new member appeared is caught by the settle's check that the group is still the same.
 */
export function overlappingGroup<P extends MeterPeriodSpan>(periods: readonly P[], periodId: string): P[] {
  const sorted = [...periods].sort((a, b) => a.start.getTime() - b.start.getTime());
  let group: P[] = [];
  let groupEnd = Number.NEGATIVE_INFINITY;
  for (const period of sorted) {
    // Sorted by start: a period overlaps the group so far iff it starts before the group's latest end.
    if (period.start.getTime() < groupEnd) {
      group.push(period);
    } else {
      if (group.some((member) => member.periodId === periodId)) return group;
      group = [period];
    }
    groupEnd = Math.max(groupEnd, period.end.getTime());
  }
  return group.some((member) => member.periodId === periodId) ? group : [];
}

/** Where every meter event of a group's periods lies: from its earliest window start to its latest end. */
export function groupWindow(group: readonly MeterPeriodSpan[]): { start: Date; end: Date } {
  const windows = group.map((period) => meterWindow(period));
  return {
    start: new Date(Math.min(...windows.map((window) => window.start.getTime()))),
    end: new Date(Math.max(...windows.map((window) => window.end.getTime()))),
  };
}

/** `periodId`'s group among the account's periods (empty when the period doesn't exist). */
export async function meterPeriodGroup(
  db: Database,
  accountId: string,
  periodId: string,
): Promise<MeterPeriodSpan[]> {
  const rows = await queryRows<{ id: string; period_start: Date | string; period_end: Date | string }>(
    db,
    sql`select id, period_start, period_end from usage_periods where account_id = ${accountId}`,
  );
  const periods = rows.map((row) => ({
    periodId: row.id,
    start: toDate(row.period_start),
    end: toDate(row.period_end),
  }));
  return overlappingGroup(periods, periodId);
}

/** The same group, whatever the order its members were listed in. */
export function hasSameMembers(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((id) => set.has(id));
}
