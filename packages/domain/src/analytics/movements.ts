import type { PlanId } from '../plans';
import type { AnalyticsRange } from './filter';
import { formatMonth, monthCloseMs, monthIndexOf, monthRange, type MonthKey } from './month';
import { accountMrrAt } from './mrr';
import type { SubscriptionHistory, SubscriptionRows } from './subscription-history';

export const MOVEMENT_KINDS = ['new', 'expansion', 'contraction', 'churn', 'reactivation'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

/** The accounts that made one kind of movement in a month, and its amount (always ≥ 0). */
export interface MovementFigure {
  accounts: number;
  cents: number;
}

export interface MonthMovements extends Record<MovementKind, MovementFigure> {
  month: MonthKey;
  startMrrCents: number;
  endMrrCents: number;
  payingAccountsAtStart: number;
  payingAccountsAtEnd: number;
  /** new + reactivation + expansion − contraction − churn, which equals end − start. */
  netCents: number;
}

/**
 * The movement of one account between the start (s) and the end (e) of a month (definitions.ts, "MRR
 * movements"); null when its MRR didn't change.
 */
export function classifyMovement(
  start: number,
  end: number,
  isFirstPaidMonth: boolean,
): { kind: MovementKind; cents: number } | null {
  if (start === 0) {
    if (end === 0) return null;
    return { kind: isFirstPaidMonth ? 'new' : 'reactivation', cents: end };
  }
  if (end === 0) return { kind: 'churn', cents: start };
  if (end > start) return { kind: 'expansion', cents: end - start };
  if (end < start) return { kind: 'contraction', cents: start - end };
  return null;
}

/** The first month at whose end the account paid; null if it never did (in this plan view). */
export function firstPaidMonth(
  subscriptions: readonly SubscriptionRows[],
  plans?: readonly PlanId[],
): number | null {
  const instants = subscriptions.flatMap((rows) => rows.map((row) => row.at.getTime()));
  // After the month of its last row an account's MRR never changes again: no need to look further.
  const last = monthIndexOf(Math.max(...instants));
  for (let month = monthIndexOf(Math.min(...instants)); month <= last; month += 1) {
    if (accountMrrAt(subscriptions, monthCloseMs(month), plans) > 0) return month;
  }
  return null;
}

function emptyMovements(month: number): MonthMovements {
  const none = (): MovementFigure => ({ accounts: 0, cents: 0 });
  return {
    month: formatMonth(month),
    startMrrCents: 0,
    endMrrCents: 0,
    payingAccountsAtStart: 0,
    payingAccountsAtEnd: 0,
    new: none(),
    expansion: none(),
    contraction: none(),
    churn: none(),
    reactivation: none(),
    netCents: 0,
  };
}

/** MRR movements per month of the range, every account compared at the month's start and end. */
export function mrrMovements(history: SubscriptionHistory, range: AnalyticsRange): MonthMovements[] {
  const report = monthRange(range.from, range.to).map((month) => ({ month, row: emptyMovements(month) }));
  for (const subscriptions of history.accounts.values()) {
    const firstPaid = firstPaidMonth(subscriptions, range.plans);
    for (const { month, row } of report) {
      const start = accountMrrAt(subscriptions, monthCloseMs(month - 1), range.plans);
      const end = accountMrrAt(subscriptions, monthCloseMs(month), range.plans);
      row.startMrrCents += start;
      row.endMrrCents += end;
      if (start > 0) row.payingAccountsAtStart += 1;
      if (end > 0) row.payingAccountsAtEnd += 1;
      const movement = classifyMovement(start, end, month === firstPaid);
      if (movement === null) continue;
      row[movement.kind].accounts += 1;
      row[movement.kind].cents += movement.cents;
    }
  }
  // Summed from the movements, not from end − start, so the identity test checks the classification.
  return report.map(({ row }) => ({
    ...row,
    netCents:
      row.new.cents + row.reactivation.cents + row.expansion.cents - row.contraction.cents - row.churn.cents,
  }));
}
