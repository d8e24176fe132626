type Json = unknown;

function isPlainObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Stripe's `previous_attributes`: the values changed fields had before an update. Nested objects are
 * diffed key by key (cancellation_details -> { reason: null }); arrays and scalars are reported whole
 * (items -> { data: [the old item] }). Returns null when nothing changed.
 */
export function previousAttributes<T extends object>(before: T, after: T): Partial<T> | null {
  const diff = diffObjects(JSON.parse(JSON.stringify(before)), JSON.parse(JSON.stringify(after)));
  return diff === null ? null : (diff as Partial<T>);
}

function diffObjects(before: Record<string, Json>, after: Record<string, Json>): Record<string, Json> | null {
  const changed: Record<string, Json> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const previous = before[key] === undefined ? null : before[key];
    const next = after[key] === undefined ? null : after[key];
    if (isPlainObject(previous) && isPlainObject(next)) {
      const nested = diffObjects(previous, next);
      if (nested !== null) changed[key] = nested;
      continue;
    }
    if (JSON.stringify(previous) !== JSON.stringify(next)) changed[key] = previous;
  }
  return Object.keys(changed).length === 0 ? null : changed;
}
