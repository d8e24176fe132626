import { describe, expect, it } from 'vitest';
import { analyticsCharts } from './analytics-charts';
import { ANALYTICS_FIGURES, analyticsTables, bucketLabel } from './analytics-tables';
import { analyticsFixture } from './console-fixtures';

describe('analytics figures', () => {
  const tables = analyticsTables(analyticsFixture());

  it('has a table for every chart', () => {
    expect(Object.keys(tables).sort()).toEqual([...ANALYTICS_FIGURES].sort());
    expect(Object.keys(analyticsCharts(analyticsFixture())).sort()).toEqual([...ANALYTICS_FIGURES].sort());
  });

  it('shows money from cents and n/a where there is no figure', () => {
    expect(tables.mrr.rows).toEqual([
      ['2026-02', '$4,900.00', '$58,800.00', '100', '$49.00'],
      ['2026-03', '$0.00', '$0.00', '0', 'n/a'],
    ]);
    expect(tables.retention.rows[1]).toEqual(['2026-03', 'n/a', 'n/a', 'n/a']);
    expect(tables.retention.rows[0]).toEqual(['2026-02', '3.75 %', '4.50 %', '101.75 %']);
  });

  it('writes CSV with plain numbers: dollars from cents, percentages from basis points, empty for n/a', () => {
    expect(tables.mrr.csv).toEqual([
      ['Month', 'MRR', 'ARR', 'Paying accounts', 'ARPU'],
      ['2026-02', '4900.00', '58800.00', 100, '49.00'],
      ['2026-03', '0.00', '0.00', 0, null],
    ]);
    expect(tables.retention.csv[2]).toEqual(['2026-03', null, null, null]);
  });

  it('labels the runs buckets by their bounds', () => {
    expect(bucketLabel({ min: 0, max: 0 })).toBe('0');
    expect(bucketLabel({ min: 101, max: 1000 })).toBe('101–1,000');
    expect(bucketLabel({ min: 2001, max: null })).toBe('2,001+');
    expect(tables.runs.columns.slice(-3)).toEqual(['0 runs', '1–10 runs', '2,001+ runs']);
  });

  it('stacks movements: what came in above zero, what went out below it', () => {
    const series = analyticsCharts(analyticsFixture()).movements.series as { name: string; data: number[] }[];
    expect(series.map((s) => [s.name, s.data[0]])).toEqual([
      ['New', 980],
      ['Expansion', 100],
      ['Reactivation', 0],
      ['Contraction', -30],
      ['Churn', -150],
      ['Net', 900],
    ]);
  });

  it('leaves a gap (null) in a rate line for a month without a rate', () => {
    const series = analyticsCharts(analyticsFixture()).retention.series as { data: (number | null)[] }[];
    expect(series[2]?.data).toEqual([101.75, null]);
  });
});
