/**
 * A timestamp of a raw row as either driver returns it (node-postgres: Date; PGlite may give a
 * string). Rows read through drizzle's builders or tableRows are mapped already.
 */
export function dateOfRow(value: Date | string): Date;
export function dateOfRow(value: Date | string | null): Date | null;
export function dateOfRow(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}
