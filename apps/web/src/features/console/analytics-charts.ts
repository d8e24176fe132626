import { bucketLabels } from './analytics-tables';
import type { AnalyticsFigure } from './analytics-tables';
import { seriesChart, type ChartOption } from './chart-option';
import type { Analytics } from './console.api';
import { centsToChartDollars as dollars, rateToChartPercent as percent } from './figures-format';

const months = (rows: readonly { month: string }[]) => rows.map((row) => row.month);

/** MRR movements as stacked bars: what came in above zero, what went out below it. */
function movementsChart(data: Analytics): ChartOption {
  const rows = data.movements;
  const stack = (name: string, values: number[], sign: 1 | -1) => ({
    type: 'bar' as const,
    name,
    stack: sign === 1 ? 'in' : 'out',
    data: values.map((cents) => dollars(sign * cents)),
  });
  return seriesChart(
    months(rows),
    [
      stack(
        'New',
        rows.map((r) => r.new.cents),
        1,
      ),
      stack(
        'Expansion',
        rows.map((r) => r.expansion.cents),
        1,
      ),
      stack(
        'Reactivation',
        rows.map((r) => r.reactivation.cents),
        1,
      ),
      stack(
        'Contraction',
        rows.map((r) => r.contraction.cents),
        -1,
      ),
      stack(
        'Churn',
        rows.map((r) => r.churn.cents),
        -1,
      ),
      { type: 'line', name: 'Net', data: rows.map((r) => dollars(r.netCents)) },
    ],
    'dollars',
  );
}

/** One stacked bar a month: how many accounts ran how many runs. */
function runsChart(data: Analytics): ChartOption {
  const rows = data.runs;
  return seriesChart(
    months(rows),
    bucketLabels(rows).map((label, index) => ({
      type: 'bar' as const,
      name: `${label} runs`,
      stack: 'accounts',
      data: rows.map((r) => r.buckets[index]?.accounts ?? 0),
    })),
    'count',
  );
}

/** The dashboard's charts, one per figure; a month with no rate has a gap in its line (null), not 0. */
export function analyticsCharts(data: Analytics): Record<AnalyticsFigure, ChartOption> {
  const { mrr, retention, trialConversion, paymentRequired, firstDenial, overage } = data;
  return {
    mrr: seriesChart(
      months(mrr),
      [
        { type: 'line', name: 'MRR', data: mrr.map((r) => dollars(r.mrrCents)) },
        { type: 'line', name: 'ARR', data: mrr.map((r) => dollars(r.arrCents)) },
      ],
      'dollars',
    ),
    movements: movementsChart(data),
    retention: seriesChart(
      months(retention),
      [
        { type: 'line', name: 'Logo churn', data: retention.map((r) => percent(r.logoChurn)) },
        { type: 'line', name: 'Revenue churn', data: retention.map((r) => percent(r.revenueChurn)) },
        { type: 'line', name: 'NRR', data: retention.map((r) => percent(r.netRevenueRetention)) },
      ],
      'percent',
    ),
    trials: seriesChart(
      months(trialConversion),
      [{ type: 'bar', name: 'Conversion', data: trialConversion.map((r) => percent(r.conversion)) }],
      'percent',
    ),
    runs: runsChart(data),
    paymentRequired: seriesChart(
      months(paymentRequired),
      [{ type: 'line', name: '402 rate', data: paymentRequired.map((r) => percent(r.rate)) }],
      'percent',
    ),
    firstDenial: seriesChart(
      months(firstDenial),
      [{ type: 'bar', name: 'Upgraded or bought a pack', data: firstDenial.map((r) => percent(r.rate)) }],
      'percent',
    ),
    overage: seriesChart(
      months(overage),
      [{ type: 'bar', name: 'Overage billed', data: overage.map((r) => dollars(r.cents)) }],
      'dollars',
    ),
  };
}
