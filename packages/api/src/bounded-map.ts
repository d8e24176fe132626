/**
 * Sets `key` in a per-process memo of at most `max` entries, Map insertion order serving as age: the
 * key is re-inserted last, and when the map is full the oldest entry is dropped first. Four caches on
 * the request path (session liveness, host users, host org roles, known user ids) keep answers this
 * way; a bound matters because their keys come from callers (any token's user or session id).
 */
export function setBounded<Key, Value>(map: Map<Key, Value>, key: Key, value: Value, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
