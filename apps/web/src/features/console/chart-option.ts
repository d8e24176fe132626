import type { BarSeriesOption, LineSeriesOption } from 'echarts/charts';
import type {
  DatasetComponentOption,
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';

/** The option shape of the console's charts: bars and lines on a grid (what console-chart.vue registers). */
export type ChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | DatasetComponentOption
>;

export type ChartSeries = BarSeriesOption | LineSeriesOption;

/** How an axis and a tooltip write a value. */
export type ValueUnit = 'dollars' | 'percent' | 'count';

const unitFormat: Record<ValueUnit, (value: number) => string> = {
  dollars: (value) => `$${value.toLocaleString('en-US')}`,
  percent: (value) => `${value} %`,
  count: (value) => value.toLocaleString('en-US'),
};

/** Months (or days) along the bottom, the series above, a legend on top: every console chart's frame. */
export function seriesChart(months: string[], series: ChartSeries[], unit: ValueUnit): ChartOption {
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    legend: { top: 0, type: 'scroll' },
    tooltip: {
      trigger: 'axis',
      valueFormatter: (value) => (typeof value === 'number' ? unitFormat[unit](value) : 'n/a'),
    },
    xAxis: { type: 'category', data: months },
    yAxis: { type: 'value', axisLabel: { formatter: (value: number) => unitFormat[unit](value) } },
    series,
  };
}
