import {
  countGrantedAuthorizations,
  countRunsHoldingCharge,
  listAccountsCreated,
  listOverageByPeriod,
  listPackPurchases,
  listPaymentRequiredDays,
  listSubscriptionHistory,
  listTrialWindows,
} from '@tollgate/db';
import {
  AppError,
  BILLED_STATUSES,
  buildHistory,
  churnAndRetention,
  firstDenialFollowUp,
  monthOf,
  mrrByMonth,
  mrrMovements,
  overageAmountCents,
  overageRevenue,
  paymentRequiredRate,
  runsDistribution,
  trialConversion,
  type AnalyticsRange,
  type AuthorizationCount,
  type PaymentRequiredRecord,
  type PlanId,
  type SubscriptionChange,
} from '@tollgate/domain';
import type { ApiDeps } from '../config';
import type { Analytics, AnalyticsInput } from '../schemas/console-schemas';

/** The longest range the console asks for at once. */
export const MAX_ANALYTICS_MONTHS = 36;

/**
 * Revenue analytics for the operator console: Tollgate's own records loaded once, handed to the pure
 * figures of @tollgate/domain's analytics (whose definitions.ts says what each figure means).
 */
export function createAnalyticsService(deps: ApiDeps) {
  const { db, now } = deps;
  const overagePrice = deps.billing?.overage?.unitAmountDecimal ?? null;

  async function report(input: AnalyticsInput): Promise<Analytics> {
    const range: AnalyticsRange = { from: input.from, to: input.to, plans: input.plans };
    const { start, end } = rangeBounds(input.from, input.to);
    const asOf = now();
    const changes = await listSubscriptionHistory(db);
    const history = buildHistory(changes);
    const planAt = planResolver(changes);
    const [trials, started, granted, accounts, packs, overage, refusals] = await Promise.all([
      listTrialWindows(db),
      countRunsHoldingCharge(db, start, end),
      countGrantedAuthorizations(db, start, end),
      listAccountsCreated(db),
      listPackPurchases(db),
      listOverageByPeriod(db),
      listPaymentRequiredDays(db),
    ]);
    const monthEnd = (month: string) => monthCloseOf(month);

    // Runs per account: every account that existed by the month's end, 0 when it ran nothing.
    const runsByKey = new Map(started.map((row) => [`${row.accountId} ${row.month}`, row.count]));
    const runCounts = monthsOf(input.from, input.to).flatMap((month) =>
      accounts
        .filter((account) => account.createdAt.getTime() <= monthEnd(month))
        .map((account) => ({
          accountId: account.accountId,
          month,
          plan: planAt(account.accountId, monthEnd(month)),
          runs: runsByKey.get(`${account.accountId} ${month}`) ?? 0,
        })),
    );

    // Refusals are stored per account and day, each refused run id counted once that day (a retried
    // refusal adds nothing), as each granted run id is one ledger row: the two add up as one measure.
    const denials: PaymentRequiredRecord[] = refusals.map((day) => ({
      accountId: day.accountId,
      at: day.firstAt,
      plan: day.plan,
      count: day.denials,
    }));
    const authorizations: AuthorizationCount[] = [
      ...granted.map((row) => ({
        month: row.month,
        plan: planAt(row.accountId, monthEnd(row.month)),
        authorizations: row.count,
      })),
      ...denials.map((denial) => ({
        month: monthOf(denial.at),
        plan: denial.plan,
        authorizations: denial.count ?? 1,
      })),
    ];
    const charges = overagePrice
      ? overage.map((period) => ({
          accountId: period.accountId,
          month: period.month,
          plan: planAt(period.accountId, period.periodStart.getTime()),
          cents: overageAmountCents(period.runs, overagePrice),
        }))
      : [];
    const trialRecords = trials.filter((trial) => trial.endsAt.getTime() >= trial.startedAt.getTime());

    return {
      asOf,
      mrr: mrrByMonth(history, range),
      movements: mrrMovements(history, range),
      retention: churnAndRetention(history, range),
      trialConversion: trialConversion(history, trialRecords, { ...range, asOf }),
      runs: runsDistribution(runCounts, range),
      paymentRequired: paymentRequiredRate(denials, authorizations, range),
      firstDenial: firstDenialFollowUp(history, denials, packs, { ...range, asOf }),
      overage: overageRevenue(charges, range),
    };
  }

  return { report };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;

function monthStartOf(month: string): number {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return Date.UTC(year, monthNumber - 1, 1);
}

/** The month's last millisecond. */
function monthCloseOf(month: string): number {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return Date.UTC(year, monthNumber, 1) - 1;
}

function monthsOf(from: string, to: string): string[] {
  const months: string[] = [];
  for (let ms = monthStartOf(from); ms <= monthStartOf(to);) {
    const date = new Date(ms);
    months.push(monthOf(date));
    ms = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  return months;
}

function rangeBounds(from: string, to: string): { start: Date; end: Date } {
  const start = monthStartOf(from);
  const end = monthCloseOf(to) + 1;
  if (start >= end) throw new AppError('BAD_REQUEST', '`from` must be a month no later than `to`');
  if (monthsOf(from, to).length > MAX_ANALYTICS_MONTHS) {
    throw new AppError('BAD_REQUEST', `A range spans at most ${MAX_ANALYTICS_MONTHS} months`);
  }
  return { start: new Date(start), end: new Date(end) };
}

/**
 * The plan an account was on at an instant, for the records that don't carry one (runs, granted
 * authorizations, overage): its subscription billed or trialing then, FREE without one.
 */
function planResolver(changes: readonly SubscriptionChange[]): (accountId: string, ms: number) => PlanId {
  const byAccount = new Map<string, SubscriptionChange[]>();
  for (const change of changes) {
    const rows = byAccount.get(change.accountId) ?? [];
    rows.push(change);
    byAccount.set(change.accountId, rows);
  }
  return (accountId, ms) => {
    const latest = new Map<string, SubscriptionChange>();
    for (const row of byAccount.get(accountId) ?? []) {
      if (row.at.getTime() <= ms) latest.set(row.subscriptionId, row);
    }
    const live = [...latest.values()].find(
      (row) => BILLED_STATUSES.includes(row.status) || row.status === 'trialing',
    );
    return live?.plan ?? 'FREE';
  };
}
