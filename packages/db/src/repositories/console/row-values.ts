/** A timestamp as either driver returns it in a raw row (node-postgres: Date; PGlite may give a string). */
export function dateOfRow(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}
