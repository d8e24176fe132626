/** A CSV cell: text as is, numbers as digits, null as an empty cell. */
export type CsvCell = string | number | null;

// Spreadsheets run a cell that starts with one of these as a formula (CSV injection, OWASP); a tab or
// carriage return in front can smuggle one in too.
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One cell, RFC 4180: quoted when it holds a comma, a quote or a line break, quotes doubled. Text that
 * a spreadsheet would run as a formula gets a leading `'`; numbers never do (-12 is a number, not a
 * formula, and stays one).
 */
export function csvCell(value: CsvCell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows to a CSV document: CRLF between records, as RFC 4180 writes them, and after the last. */
export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  return rows.map((row) => `${row.map(csvCell).join(',')}\r\n`).join('');
}
