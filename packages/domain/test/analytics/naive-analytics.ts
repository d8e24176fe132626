import type {
  AverageFigure,
  MonthMovements,
  MonthRetention,
  MrrSnapshot,
  PlanId,
  RateFigure,
  SubscriptionChange,
} from '../../src/index';

/**
 * The figures again, deliberately naively and straight from the written definitions (definitions.ts),
 * sharing no code with the module (the cohorts and the rest: naive-cohorts.ts): months through ISO strings, every MRR by scanning every row, no index,
 * no early exit. Slow and obvious, so that a disagreement points at the module.
 */

export const DAY = 86_400_000;
export type Plans = readonly PlanId[] | undefined;

export const keyOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7);
const startOf = (key: string): number => Date.parse(`${key}-01T00:00:00.000Z`);
/** The last millisecond of the month: 1 ms before the next month's first (found 32 days on). */
const endOf = (key: string): number => startOf(keyOf(startOf(key) + 32 * DAY)) - 1;
const previousKey = (key: string): string => keyOf(startOf(key) - 1);

export function monthsBetween(from: string, to: string): string[] {
  const keys: string[] = [];
  for (let key = from; key <= to; key = keyOf(endOf(key) + 1)) keys.push(key);
  return keys;
}

export const selected = (plan: PlanId, plans: Plans): boolean => plans === undefined || plans.includes(plan);

/** "price × quantity − recurring discount, not below 0; a yearly amount ÷ 12 rounded half up; billed only". */
export function naiveRowMrr(row: SubscriptionChange): number {
  if (row.status !== 'active' && row.status !== 'past_due') return 0;
  let amount = row.priceCents * row.quantity - row.discountCents;
  if (amount < 0) amount = 0;
  if (row.interval === 'month') return amount;
  const whole = Math.floor(amount / 12);
  return (amount - whole * 12) * 2 >= 12 ? whole + 1 : whole;
}

/** Every subscription in the state of its latest row at or before t; a row on a plan left out counts 0. */
export function naiveAccountMrr(rows: readonly SubscriptionChange[], t: number, plans: Plans): number {
  const latest = new Map<string, SubscriptionChange>();
  for (const row of rows) {
    if (row.at.getTime() > t) continue;
    const seen = latest.get(row.subscriptionId);
    if (seen === undefined || seen.at.getTime() < row.at.getTime()) latest.set(row.subscriptionId, row);
  }
  let sum = 0;
  for (const row of latest.values()) if (selected(row.plan, plans)) sum += naiveRowMrr(row);
  return sum;
}

function naiveRoundHalfUp(numerator: number, denominator: number, scale: number): number {
  const scaled = BigInt(numerator) * BigInt(scale);
  const quotient = scaled / BigInt(denominator);
  const remainder = scaled % BigInt(denominator);
  return Number(2n * remainder >= BigInt(denominator) ? quotient + 1n : quotient);
}

export function naiveRate(numerator: number, denominator: number): RateFigure | null {
  if (denominator === 0) return null;
  return { numerator, denominator, basisPoints: naiveRoundHalfUp(numerator, denominator, 10_000) };
}

export function naiveAverage(numerator: number, denominator: number): AverageFigure | null {
  if (denominator === 0) return null;
  return { numerator, denominator, rounded: naiveRoundHalfUp(numerator, denominator, 1) };
}

const grouped = new WeakMap<readonly SubscriptionChange[], Map<string, SubscriptionChange[]>>();
function rowsByAccountOnce(changes: readonly SubscriptionChange[]): Map<string, SubscriptionChange[]> {
  const accounts = grouped.get(changes) ?? rowsByAccount(changes);
  grouped.set(changes, accounts);
  return accounts;
}

function rowsByAccount(changes: readonly SubscriptionChange[]): Map<string, SubscriptionChange[]> {
  const accounts = new Map<string, SubscriptionChange[]>();
  for (const row of changes) {
    const rows = accounts.get(row.accountId) ?? [];
    accounts.set(row.accountId, rows);
    rows.push(row);
  }
  return accounts;
}

export function naiveMrrByMonth(
  changes: readonly SubscriptionChange[],
  from: string,
  to: string,
  plans?: Plans,
) {
  return monthsBetween(from, to).map((month): MrrSnapshot & { month: string } => {
    const perAccount = [...rowsByAccount(changes).values()].map((rows) =>
      naiveAccountMrr(rows, endOf(month), plans),
    );
    const mrrCents = perAccount.reduce((a, b) => a + b, 0);
    const payingAccounts = perAccount.filter((cents) => cents > 0).length;
    return {
      month,
      mrrCents,
      arrCents: mrrCents * 12,
      payingAccounts,
      arpu: naiveAverage(mrrCents, payingAccounts),
    };
  });
}

// Only a cache of the month-end scans (the same scan gives the same answer): keeps the suite fast.
const monthEnds = new WeakMap<readonly SubscriptionChange[], Map<string, number>>();
function naiveMonthEndMrr(rows: readonly SubscriptionChange[], month: string, plans: Plans): number {
  const cache = monthEnds.get(rows) ?? new Map<string, number>();
  monthEnds.set(rows, cache);
  const key = `${month} ${plans?.join(',') ?? '*'}`;
  const cents = cache.get(key) ?? naiveAccountMrr(rows, endOf(month), plans);
  cache.set(key, cents);
  return cents;
}

/** Each account's MRR at the start and end of the month, and whether it ended any earlier month paying. */
function naiveBoundaries(changes: readonly SubscriptionChange[], month: string, plans: Plans) {
  return [...rowsByAccountOnce(changes).values()].map((rows) => {
    let hasPaidBefore = false;
    for (const earlier of monthsBetween('2023-01', previousKey(month))) {
      if (naiveMonthEndMrr(rows, earlier, plans) > 0) hasPaidBefore = true;
    }
    const s = naiveAccountMrr(rows, startOf(month) - 1, plans);
    const e = naiveAccountMrr(rows, endOf(month), plans);
    return { s, e, hasPaidBefore };
  });
}

export function naiveMovements(
  changes: readonly SubscriptionChange[],
  from: string,
  to: string,
  plans?: Plans,
) {
  return monthsBetween(from, to).map((month): MonthMovements => {
    const accounts = naiveBoundaries(changes, month, plans);
    const sum = (
      pick: (a: (typeof accounts)[number]) => boolean,
      cents: (a: (typeof accounts)[number]) => number,
    ) => {
      const chosen = accounts.filter(pick);
      return { accounts: chosen.length, cents: chosen.reduce((total, a) => total + cents(a), 0) };
    };
    return {
      month,
      startMrrCents: accounts.reduce((total, a) => total + a.s, 0),
      endMrrCents: accounts.reduce((total, a) => total + a.e, 0),
      payingAccountsAtStart: accounts.filter((a) => a.s > 0).length,
      payingAccountsAtEnd: accounts.filter((a) => a.e > 0).length,
      new: sum(
        (a) => a.s === 0 && a.e > 0 && !a.hasPaidBefore,
        (a) => a.e,
      ),
      reactivation: sum(
        (a) => a.s === 0 && a.e > 0 && a.hasPaidBefore,
        (a) => a.e,
      ),
      expansion: sum(
        (a) => a.s > 0 && a.e > a.s,
        (a) => a.e - a.s,
      ),
      contraction: sum(
        (a) => a.e > 0 && a.e < a.s,
        (a) => a.s - a.e,
      ),
      churn: sum(
        (a) => a.s > 0 && a.e === 0,
        (a) => a.s,
      ),
      // The identity, computed the other way round: the module sums its movements.
      netCents: accounts.reduce((total, a) => total + a.e - a.s, 0),
    };
  });
}

/** Straight from the accounts paying at the start: NRR is what they pay at the end ÷ what they paid. */
export function naiveRetention(
  changes: readonly SubscriptionChange[],
  from: string,
  to: string,
  plans?: Plans,
) {
  return monthsBetween(from, to).map((month): MonthRetention => {
    const payingAtStart = naiveBoundaries(changes, month, plans).filter((a) => a.s > 0);
    const startMrr = payingAtStart.reduce((total, a) => total + a.s, 0);
    const lost = payingAtStart.reduce((total, a) => total + Math.max(0, a.s - a.e), 0);
    return {
      month,
      logoChurn: naiveRate(payingAtStart.filter((a) => a.e === 0).length, payingAtStart.length),
      revenueChurn: naiveRate(lost, startMrr),
      netRevenueRetention: naiveRate(
        payingAtStart.reduce((total, a) => total + a.e, 0),
        startMrr,
      ),
    };
  });
}
