import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'stripe-events');

export function readFixture(relativePath: string): unknown {
  return JSON.parse(readFileSync(join(root, relativePath), 'utf8'));
}

/** The `data.object` of a recorded event (or of a data-only fixture). */
export function fixtureObject(relativePath: string): unknown {
  const json = readFixture(relativePath) as { data?: { object?: unknown }; object?: unknown };
  return json.data?.object ?? json.object;
}
