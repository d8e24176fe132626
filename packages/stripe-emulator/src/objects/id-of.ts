/** The id behind a field that holds an id or, once expanded, the object (customer, payment_intent, …). */
export function idOf(value: string | { id: string } | null): string | null {
  if (value === null) return null;
  return typeof value === 'string' ? value : value.id;
}
