import { queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { Customer, SCENARIOS } from './scenarios';

const ENV = { PAYMENT_GRACE_DAYS: '3' };
const EMULATOR = { retrySchedule: [5 * 86_400, 5 * 86_400], endStateAfterRetries: 'canceled' as const };

let inOrder: BillingTestServer;
let chaotic: BillingTestServer;
beforeAll(async () => {
  [inOrder, chaotic] = await Promise.all([
    startBillingTestServer(ENV, EMULATOR),
    startBillingTestServer(ENV, EMULATOR),
  ]);
  // Every event delivered twice, held until settle() and then released in a seeded random order.
  chaotic.emulator.webhooks.setMode({ duplicate: true, shuffle: true, seed: 20261127 });
});
afterAll(async () => {
  await Promise.all([inOrder?.stop(), chaotic?.stop()]);
});

describe('webhooks delivered twice and shuffled converge to the in-order state', () => {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    it(
      name,
      async () => {
        const [expected, actual] = await Promise.all([Customer.signUp(inOrder), Customer.signUp(chaotic)]);
        await scenario(expected);
        await scenario(actual);
        expect(await actual.storedState()).toEqual(await expected.storedState());
      },
      90_000,
    );
  }

  it('really delivered duplicates and answered them as duplicates', async () => {
    const log = chaotic.emulator.webhooks.log();
    const perEvent = new Map<string, number>();
    for (const record of log) perEvent.set(record.eventId, (perEvent.get(record.eventId) ?? 0) + 1);
    expect(log.length).toBeGreaterThan(20);
    expect([...perEvent.values()].every((count) => count === 2)).toBe(true);
    // Both copies answered 200 (none left for Stripe to retry), and each event recorded as applied.
    expect(log.filter((record) => record.lastStatus !== 200)).toEqual([]);
    const stored = await queryRows<{ id: string; failure_code: string | null }>(
      chaotic.server.testDb.db,
      sql`select id, failure_code from stripe_events`,
    );
    const storedIds = new Set(stored.map((row) => row.id));
    expect([...perEvent.keys()].filter((id) => !storedIds.has(id))).toEqual([]);
    expect(stored.filter((row) => row.failure_code !== null)).toEqual([]);
  });
});
