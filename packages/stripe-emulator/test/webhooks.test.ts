import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorControl } from '../src';
import { seededRandom, shuffleInPlace } from '../src/webhooks/seeded-random';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';

const SLOW_TIMEOUT_MS = 600;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let h: Harness;

beforeAll(async () => {
  // the timeout is generous for a busy CI machine; the slow-receiver test sleeps past it
  h = await startHarness({ deliveryRetryDelaysMs: [20, 40], deliveryTimeoutMs: SLOW_TIMEOUT_MS });
  await h.stripe.customers.create({ email: 'warm-up@example.com' });
  await h.emulator.webhooks.drain();
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  h.emulator.webhooks.setMode({ duplicate: false, shuffle: false, seed: 1 });
  await h.emulator.webhooks.drain();
  h.receiver.clear();
  h.receiver.respond = () => 200;
});

async function createCustomers(count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n += 1) {
    ids.push((await h.stripe.customers.create({ email: `${prefix}${n}@example.com` })).id);
  }
  return ids;
}

function deliveredCustomerIds(): string[] {
  return h.receiver.ofType('customer.created').map((event) => event.data.object.id);
}

describe('delivery', () => {
  it('delivers in order by default, signed so constructEvent accepts it', async () => {
    const ids = await createCustomers(3, 'order');
    await h.emulator.webhooks.drain();
    expect(deliveredCustomerIds()).toEqual(ids);
    expect(h.receiver.rejectedSignatures).toBe(0);
  });

  it('retries with backoff on non-2xx until delivered and logs the attempts', async () => {
    h.receiver.respond = (_event, attempt) => (attempt < 3 ? 500 : 200);
    const [id] = await createCustomers(1, 'retry');
    await h.emulator.webhooks.drain();
    expect(deliveredCustomerIds()).toEqual([id]);
    const eventId = h.receiver.events[0]?.id;
    const record = h.emulator.webhooks.log().find((entry) => entry.eventId === eventId);
    expect(record).toMatchObject({ attempts: 3, lastStatus: 200, state: 'delivered', url: h.receiver.url });
    expect(h.receiver.arrivals.map((arrival) => arrival.status)).toEqual([500, 500, 200]);
  });

  it('gives up after the last delay and marks the delivery failed', async () => {
    h.receiver.respond = () => 503;
    await createCustomers(1, 'fail');
    await h.emulator.webhooks.drain();
    const failed = h.emulator.webhooks.log().filter((entry) => entry.state === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ attempts: 3, lastStatus: 503, lastError: 'HTTP 503' });
  });

  it('treats a slow answer as a timeout and retries', async () => {
    h.receiver.respond = async (_event, attempt) => {
      if (attempt === 1) await sleep(SLOW_TIMEOUT_MS + 300);
      return 200;
    };
    await createCustomers(1, 'slow');
    await h.emulator.webhooks.drain();
    const record = h.emulator.webhooks.log().at(-1);
    expect(record).toMatchObject({ attempts: 2, state: 'delivered', lastStatus: 200 });
    expect(record?.lastAttemptAt).not.toBeNull();
    await sleep(500); // let the receiver finish the abandoned first request before the next test
    expect(h.receiver.arrivals).toHaveLength(2);
  });

  it('pause holds deliveries until resume', async () => {
    h.emulator.webhooks.pause();
    const [id] = await createCustomers(1, 'paused');
    await sleep(50);
    expect(h.receiver.arrivals).toHaveLength(0);
    expect(h.emulator.webhooks.log().at(-1)?.state).toBe('queued');
    h.emulator.webhooks.resume();
    await h.emulator.webhooks.drain();
    expect(deliveredCustomerIds()).toEqual([id]);
  });
});

describe('test modes', () => {
  it('duplicate mode delivers every event twice with the same id', async () => {
    h.emulator.webhooks.setMode({ duplicate: true });
    await createCustomers(2, 'dup');
    await h.emulator.webhooks.drain();
    const eventIds = h.receiver.events.map((event) => event.id);
    expect(eventIds).toHaveLength(4);
    expect(new Set(eventIds).size).toBe(2);
    const records = h.emulator.webhooks.log().slice(-4);
    expect(records.map((record) => record.isDuplicate)).toEqual([false, true, false, true]);
  });

  it('shuffle mode holds events until drain, then delivers them in a seeded random order', async () => {
    h.emulator.webhooks.setMode({ shuffle: true, seed: 42 });
    const ids = await createCustomers(6, 'shuffle');
    await sleep(50);
    expect(h.receiver.arrivals).toHaveLength(0);
    expect(
      h.emulator.webhooks
        .log()
        .slice(-6)
        .every((record) => record.state === 'held'),
    ).toBe(true);

    await h.emulator.webhooks.drain();
    const delivered = deliveredCustomerIds();
    expect([...delivered].sort()).toEqual([...ids].sort());
    expect(delivered).not.toEqual(ids);
    expect(delivered).toEqual(shuffleInPlace([...ids], seededRandom(42)));
  });

  it('duplicate and shuffle combine', async () => {
    h.emulator.webhooks.setMode({ shuffle: true, duplicate: true, seed: 7 });
    const ids = await createCustomers(3, 'both');
    await h.emulator.webhooks.drain();
    const delivered = deliveredCustomerIds();
    expect(delivered).toHaveLength(6);
    expect([...new Set(delivered)].sort()).toEqual([...ids].sort());
  });
});

describe('HTTP control API', () => {
  it('sets modes, advances the clock, drains and lists deliveries', async () => {
    const control = emulatorControl(h.emulator.url);
    expect(await control.setMode({ duplicate: true })).toEqual({ duplicate: true, shuffle: false, seed: 1 });
    const before = h.emulator.clock.now().getTime();
    const { nowSeconds } = await control.advanceClock(3_600);
    expect(nowSeconds * 1000).toBeGreaterThanOrEqual(before + 3_600_000 - 1000);
    await createCustomers(1, 'control');
    const drained = await control.drain();
    expect(drained.filter((record) => record.type === 'customer.created').length).toBeGreaterThanOrEqual(2);
    expect(h.receiver.events).toHaveLength(2);
    expect((await control.deliveries()).length).toBe(drained.length);
    const state = await control.state();
    expect(state).toHaveProperty('subscriptions');
    await expect(control.advanceClock(-5)).rejects.toThrow(/400/);
  });
});
