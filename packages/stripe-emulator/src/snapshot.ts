import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Store } from './store';
import { createStore } from './store';

const SNAPSHOT_VERSION = 1;

interface Snapshot {
  version: number;
  clockSeconds: number;
  maps: Record<string, [string, unknown][]>;
}

/**
 * Optional persistence: the whole store as one JSON file. Stripe.Decimal fields come back as their
 * string form, which is also what the wire format carries.
 */
export function saveSnapshot(file: string, store: Store, clockSeconds: number): void {
  const maps: Record<string, [string, unknown][]> = {};
  for (const [name, map] of Object.entries(store)) {
    // Webhook endpoints are configuration, given anew at each start (with their secrets): restoring
    // old ones would keep delivering to stale URLs with stale secrets.
    if (name === 'webhookEndpoints') continue;
    maps[name] = [...(map as Map<string, unknown>).entries()];
  }
  const snapshot: Snapshot = { version: SNAPSHOT_VERSION, clockSeconds, maps };
  writeFileSync(file, JSON.stringify(snapshot));
}

export function loadSnapshot(file: string): { store: Store; clockSeconds: number } | null {
  if (!existsSync(file)) return null;
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  if (snapshot.version !== SNAPSHOT_VERSION) {
    throw new Error(`${file}: unsupported snapshot version ${snapshot.version}`);
  }
  const store = createStore();
  for (const [name, map] of Object.entries(store)) {
    for (const [key, value] of snapshot.maps[name] ?? []) (map as Map<string, unknown>).set(key, value);
  }
  return { store, clockSeconds: snapshot.clockSeconds };
}
