import type { CsvCell } from './csv';

/** One column of a figure's table: how a row reads on screen, and what its CSV cell holds. */
export interface FigureColumn<Row> {
  label: string;
  text: (row: Row) => string;
  csv: (row: Row) => CsvCell;
}

/** A chart's figures as a table: shown under the chart and downloaded as CSV. */
export interface FigureTable {
  title: string;
  /** The CSV file's name, without the extension. */
  name: string;
  columns: string[];
  rows: string[][];
  /** The header row, then the rows as plain numbers (cents as dollars, rates as percentages). */
  csv: CsvCell[][];
}

export function figureTable<Row>(
  title: string,
  name: string,
  rows: readonly Row[],
  columns: readonly FigureColumn<Row>[],
): FigureTable {
  return {
    title,
    name,
    columns: columns.map((column) => column.label),
    rows: rows.map((row) => columns.map((column) => column.text(row))),
    csv: [columns.map((column) => column.label), ...rows.map((row) => columns.map((c) => c.csv(row)))],
  };
}
