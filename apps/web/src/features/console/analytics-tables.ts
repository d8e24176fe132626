import { formatCount } from '../../lib/format';
import type { Analytics } from './console.api';
import { figureTable, type FigureColumn, type FigureTable } from './figure-table';
import { centsCsv, centsText, countText, rateCsv, rateText, type Rate } from './figures-format';

type Month = { month: string };

const monthColumn: FigureColumn<Month> = { label: 'Month', text: (r) => r.month, csv: (r) => r.month };

function money<Row>(label: string, cents: (row: Row) => number | null): FigureColumn<Row> {
  return { label, text: (r) => centsText(cents(r)), csv: (r) => centsCsv(cents(r)) };
}

function count<Row>(label: string, value: (row: Row) => number | null): FigureColumn<Row> {
  return { label, text: (r) => countText(value(r)), csv: (r) => value(r) };
}

function rate<Row>(label: string, value: (row: Row) => Rate | null): FigureColumn<Row> {
  return { label: `${label} (%)`, text: (r) => rateText(value(r)), csv: (r) => rateCsv(value(r)) };
}

type RunsRow = Analytics['runs'][number];
type Bucket = RunsRow['buckets'][number];

/** "0", "1–10", "2,001+": a runs-per-account bucket's label. */
export function bucketLabel(bucket: Pick<Bucket, 'min' | 'max'>): string {
  if (bucket.max === null) return `${formatCount(bucket.min)}+`;
  if (bucket.min === bucket.max) return formatCount(bucket.min);
  return `${formatCount(bucket.min)}–${formatCount(bucket.max)}`;
}

/** The bucket labels of the range (every month has the same buckets; the first month says which). */
export function bucketLabels(runs: readonly RunsRow[]): string[] {
  return (runs[0]?.buckets ?? []).map(bucketLabel);
}

/** Every figure of admin.analytics as a table, in the dashboard's order (one per chart). */
export function analyticsTables(data: Analytics): Record<AnalyticsFigure, FigureTable> {
  const labels = bucketLabels(data.runs);
  return {
    mrr: figureTable('MRR and ARR', 'mrr-arr', data.mrr, [
      monthColumn,
      money('MRR', (r) => r.mrrCents),
      money('ARR', (r) => r.arrCents),
      count('Paying accounts', (r) => r.payingAccounts),
      money('ARPU', (r) => r.arpu?.rounded ?? null),
    ]),
    movements: figureTable('MRR movements', 'mrr-movements', data.movements, [
      monthColumn,
      money('MRR at start', (r) => r.startMrrCents),
      money('New', (r) => r.new.cents),
      money('Expansion', (r) => r.expansion.cents),
      money('Reactivation', (r) => r.reactivation.cents),
      money('Contraction', (r) => r.contraction.cents),
      money('Churn', (r) => r.churn.cents),
      money('Net', (r) => r.netCents),
      money('MRR at end', (r) => r.endMrrCents),
    ]),
    retention: figureTable('Churn and net revenue retention', 'churn-nrr', data.retention, [
      monthColumn,
      rate('Logo churn', (r) => r.logoChurn),
      rate('Revenue churn', (r) => r.revenueChurn),
      rate('Net revenue retention', (r) => r.netRevenueRetention),
    ]),
    trials: figureTable('Trial conversion by signup cohort', 'trial-conversion', data.trialConversion, [
      { label: 'Cohort', text: (r) => r.month, csv: (r) => r.month },
      count('Trials', (r) => r.trials),
      count('Converted', (r) => r.converted),
      count('Still open', (r) => r.open),
      rate('Conversion', (r) => r.conversion),
    ]),
    runs: figureTable('Runs per account', 'runs-per-account', data.runs, [
      monthColumn,
      count('Accounts', (r) => r.accounts),
      count('Runs', (r) => r.runs),
      count('Mean', (r) => r.mean?.rounded ?? null),
      count('p50', (r) => r.p50),
      count('p90', (r) => r.p90),
      count('p99', (r) => r.p99),
      count('Max', (r) => r.max),
      ...labels.map((label, index) =>
        count<RunsRow>(`${label} runs`, (r) => r.buckets[index]?.accounts ?? null),
      ),
    ]),
    paymentRequired: figureTable('402 rate', 'payment-required-rate', data.paymentRequired, [
      monthColumn,
      count('Authorizations', (r) => r.authorizations),
      count('Refused (402)', (r) => r.denied),
      rate('402 rate', (r) => r.rate),
    ]),
    firstDenial: figureTable('After the first 402 (7 days)', 'first-402-follow-up', data.firstDenial, [
      { label: 'Cohort', text: (r) => r.month, csv: (r) => r.month },
      count('Accounts', (r) => r.accounts),
      count('Upgraded', (r) => r.upgraded),
      count('Bought a pack', (r) => r.boughtPack),
      count('Either', (r) => r.upgradedOrBoughtPack),
      count('Still open', (r) => r.open),
      rate('Follow-up', (r) => r.rate),
    ]),
    overage: figureTable('Overage revenue', 'overage-revenue', data.overage, [
      monthColumn,
      money('Overage billed', (r) => r.cents),
      count('Accounts', (r) => r.accounts),
    ]),
  };
}

export const ANALYTICS_FIGURES = [
  'mrr',
  'movements',
  'retention',
  'trials',
  'runs',
  'paymentRequired',
  'firstDenial',
  'overage',
] as const;
export type AnalyticsFigure = (typeof ANALYTICS_FIGURES)[number];
