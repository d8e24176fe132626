import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorControl } from '../src';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';

let h: Harness;
let seq = 0;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.emulator.faults.clear();
});

async function createMeter(stripe: Stripe = h.stripe): Promise<Stripe.Billing.Meter> {
  seq += 1;
  return stripe.billing.meters.create({
    display_name: `Agent runs ${seq}`,
    event_name: `agent_runs_${seq}_${Math.random().toString(36).slice(2, 6)}`,
    default_aggregation: { formula: 'sum' },
    customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
    value_settings: { event_payload_key: 'value' },
  });
}

async function rejection(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Stripe.errors.StripeError))
    throw new Error(`expected a StripeError, got ${String(error)}`);
  return error;
}

const nowSeconds = (): number => Math.floor(h.emulator.clock.now().getTime() / 1000);

/**
 * A timestamp the emulator took since `since` (seconds): a call may cross a second boundary, so "now"
 * read after its answer can be a second past it.
 */
const takenSince = (since: number) => ({
  asymmetricMatch: (seconds: unknown) =>
    typeof seconds === 'number' && seconds >= since && seconds <= nowSeconds(),
  toString: () => `a timestamp from ${since} to now`,
});

describe('billing meters', () => {
  it('creates, retrieves, lists, deactivates and reactivates a meter', async () => {
    const meter = await createMeter();
    expect(meter).toMatchObject({
      object: 'billing.meter',
      status: 'active',
      default_aggregation: { formula: 'sum' },
      customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
      value_settings: { event_payload_key: 'value' },
      status_transitions: { deactivated_at: null },
      livemode: false,
    });
    expect(meter.id).toMatch(/^mtr_test_/);
    expect(await h.stripe.billing.meters.retrieve(meter.id)).toEqual(meter);
    const listed = await h.stripe.billing.meters.list({ status: 'active', limit: 100 });
    expect(listed.data.map((m) => m.id)).toContain(meter.id);

    const beforeDeactivation = nowSeconds();
    const inactive = await h.stripe.billing.meters.deactivate(meter.id);
    expect(inactive.status).toBe('inactive');
    expect(inactive.status_transitions.deactivated_at).toEqual(takenSince(beforeDeactivation));
    const inactiveList = await h.stripe.billing.meters.list({ status: 'inactive', limit: 100 });
    expect(inactiveList.data.map((m) => m.id)).toContain(meter.id);
    const customer = await h.stripe.customers.create({ email: 'inactive@example.com' });
    const refused = await rejection(
      h.stripe.billing.meterEvents.create({
        event_name: meter.event_name,
        payload: { stripe_customer_id: customer.id, value: '1' },
      }),
    );
    expect(refused.statusCode).toBe(400);

    const active = await h.stripe.billing.meters.reactivate(meter.id);
    expect(active).toMatchObject({ status: 'active', status_transitions: { deactivated_at: null } });
  });

  it('refuses a second meter with the same event_name and unknown meters', async () => {
    const meter = await createMeter();
    const duplicate = await rejection(
      h.stripe.billing.meters.create({
        display_name: 'again',
        event_name: meter.event_name,
        default_aggregation: { formula: 'sum' },
      }),
    );
    expect(duplicate.statusCode).toBe(400);
    const missing = await rejection(h.stripe.billing.meters.retrieve('mtr_test_nope'));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});

describe('meter events', () => {
  it('records an event and refuses the same identifier within 24 h, counting it once', async () => {
    const meter = await createMeter();
    const customer = await h.stripe.customers.create({ email: 'me@example.com' });
    const beforeEvent = nowSeconds();
    const event = await h.stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '25' },
      identifier: 'run_1',
    });
    expect(event).toMatchObject({
      object: 'billing.meter_event',
      event_name: meter.event_name,
      identifier: 'run_1',
      livemode: false,
      payload: { stripe_customer_id: customer.id, value: '25' },
      timestamp: takenSince(beforeEvent),
    });

    const duplicate = await rejection(
      h.stripe.billing.meterEvents.create({
        event_name: meter.event_name,
        payload: { stripe_customer_id: customer.id, value: '25' },
        identifier: 'run_1',
      }),
    );
    expect(duplicate).toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      message: 'An event already exists with identifier run_1.',
    });
    expect(duplicate.headers?.['stripe-should-retry']).toBe('false');

    const control = emulatorControl(h.emulator.url);
    expect(await control.meterTotal(meter.id, customer.id)).toBe(25);

    // after the 24 h window the identifier may be used again
    await h.emulator.clock.advance(86_401);
    await h.stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '5' },
      identifier: 'run_1',
    });
    expect(await control.meterTotal(meter.id, customer.id)).toBe(30);
  });

  it('generates an identifier when none is given', async () => {
    const meter = await createMeter();
    const customer = await h.stripe.customers.create({ email: 'gen@example.com' });
    const a = await h.stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '1' },
    });
    const b = await h.stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '1' },
    });
    expect(a.identifier).not.toBe('');
    expect(a.identifier).not.toBe(b.identifier);
  });

  it('refuses bad values, timestamps, event names and customers with 400', async () => {
    const meter = await createMeter();
    const customer = await h.stripe.customers.create({ email: 'bad@example.com' });
    const now = nowSeconds();
    const attempt = (
      payload: Record<string, string>,
      extra: { timestamp?: number; event_name?: string } = {},
    ) =>
      rejection(
        h.stripe.billing.meterEvents.create({
          event_name: extra.event_name ?? meter.event_name,
          payload,
          ...(extra.timestamp === undefined ? {} : { timestamp: extra.timestamp }),
        }),
      );
    const cases = [
      await attempt({ stripe_customer_id: customer.id, value: 'abc' }),
      await attempt({ stripe_customer_id: customer.id, value: '2.5' }),
      await attempt({ stripe_customer_id: customer.id }),
      await attempt({ stripe_customer_id: customer.id, value: '1' }, { timestamp: now - 36 * 86_400 }),
      // Past the 5-minute edge, read just before the call, plus one second for the emulator's clock to
      // have crossed into the next second meanwhile (`now` is a few calls old by here).
      await attempt({ stripe_customer_id: customer.id, value: '1' }, { timestamp: nowSeconds() + 302 }),
      await attempt({ stripe_customer_id: customer.id, value: '1' }, { event_name: 'no_such_meter' }),
      await attempt({ stripe_customer_id: 'cus_unknown', value: '1' }),
    ];
    for (const error of cases) expect(error.statusCode).toBe(400);
    expect(cases[3]?.param).toBe('timestamp');
    expect(await emulatorControl(h.emulator.url).meterTotal(meter.id, customer.id)).toBe(0);

    // the edges are accepted: 35 days back, 5 minutes ahead, negative whole numbers
    await h.stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '3' },
      timestamp: now - 35 * 86_400 + 60,
    });
    await h.stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '-1' },
      timestamp: now + 300,
    });
    expect(await emulatorControl(h.emulator.url).meterTotal(meter.id, customer.id)).toBe(2);
  });
});

describe('one concurrent meter event per customer and meter', () => {
  let held: Harness;
  beforeAll(async () => {
    held = await startHarness({ meterEventHoldMs: 80 });
  });
  afterAll(async () => {
    await held.close();
  });

  it('answers a concurrent call for the same customer and meter with 429 rate_limit', async () => {
    const meter = await createMeter(held.stripe);
    const other = await createMeter(held.stripe);
    const customer = await held.stripe.customers.create({ email: 'busy@example.com' });
    const second = await held.stripe.customers.create({ email: 'calm@example.com' });
    const send = (eventName: string, customerId: string) =>
      held.stripe.billing.meterEvents.create({
        event_name: eventName,
        payload: { stripe_customer_id: customerId, value: '1' },
      });
    const results = await Promise.allSettled([
      send(meter.event_name, customer.id),
      send(meter.event_name, customer.id),
      send(other.event_name, customer.id),
      send(meter.event_name, second.id),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    const rejected = results[1];
    if (rejected?.status !== 'rejected') throw new Error('expected a rejection');
    expect(rejected.reason).toMatchObject({
      statusCode: 429,
      code: 'rate_limit',
      type: 'StripeRateLimitError',
    });
    const control = emulatorControl(held.emulator.url);
    expect(await control.meterTotal(meter.id, customer.id)).toBe(1);
    // once the first call answered, the next one goes through
    await send(meter.event_name, customer.id);
    expect(await control.meterTotal(meter.id, customer.id)).toBe(2);
  });
});

describe('event summaries and adjustments', () => {
  it('sums events in [start, end), by hour on request, and drops canceled events', async () => {
    const meter = await createMeter();
    const customer = await h.stripe.customers.create({ email: 'sum@example.com' });
    const other = await h.stripe.customers.create({ email: 'other@example.com' });
    const hour = Math.floor(nowSeconds() / 3_600) * 3_600 - 2 * 3_600;
    const send = (customerId: string, value: string, timestamp: number, identifier: string) =>
      h.stripe.billing.meterEvents.create({
        event_name: meter.event_name,
        payload: { stripe_customer_id: customerId, value },
        timestamp,
        identifier,
      });
    await send(customer.id, '10', hour, 'a');
    await send(customer.id, '5', hour + 3_599, 'b');
    await send(customer.id, '7', hour + 3_600, 'c');
    await send(other.id, '100', hour + 10, 'd');

    const whole = await h.stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: hour,
      end_time: hour + 7_200,
    });
    expect(whole.data).toHaveLength(1);
    expect(whole.data[0]).toMatchObject({
      object: 'billing.meter_event_summary',
      aggregated_value: 22,
      start_time: hour,
      end_time: hour + 7_200,
      meter: meter.id,
      livemode: false,
    });
    const hourly = await h.stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: hour,
      end_time: hour + 7_200,
      value_grouping_window: 'hour',
    });
    expect(
      hourly.data.map((summary) => [summary.start_time - hour, summary.aggregated_value]).sort(),
    ).toEqual([
      [0, 15],
      [3_600, 7],
    ]);

    const unaligned = await rejection(
      h.stripe.billing.meters.listEventSummaries(meter.id, {
        customer: customer.id,
        start_time: hour + 1,
        end_time: hour + 7_200,
      }),
    );
    expect(unaligned.statusCode).toBe(400);

    const adjustment = await h.stripe.billing.meterEventAdjustments.create({
      event_name: meter.event_name,
      type: 'cancel',
      cancel: { identifier: 'b' },
    });
    expect(adjustment).toEqual({
      object: 'billing.meter_event_adjustment',
      event_name: meter.event_name,
      type: 'cancel',
      cancel: { identifier: 'b' },
      livemode: false,
      status: 'pending',
    });
    const after = await h.stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: hour,
      end_time: hour + 7_200,
    });
    expect(after.data[0]?.aggregated_value).toBe(17);

    const twice = await rejection(
      h.stripe.billing.meterEventAdjustments.create({
        event_name: meter.event_name,
        type: 'cancel',
        cancel: { identifier: 'b' },
      }),
    );
    expect(twice.statusCode).toBe(400);
    const unknown = await rejection(
      h.stripe.billing.meterEventAdjustments.create({
        event_name: meter.event_name,
        type: 'cancel',
        cancel: { identifier: 'never-sent' },
      }),
    );
    expect(unknown.statusCode).toBe(400);
    expect(await emulatorControl(h.emulator.url).meterTotal(meter.id, customer.id, hour, hour + 3_600)).toBe(
      10,
    );
  });

  it('cannot cancel an event after 24 hours', async () => {
    const meter = await createMeter();
    const customer = await h.stripe.customers.create({ email: 'late@example.com' });
    await h.stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '4' },
      identifier: 'late',
    });
    await h.emulator.clock.advance(86_401);
    const late = await rejection(
      h.stripe.billing.meterEventAdjustments.create({
        event_name: meter.event_name,
        type: 'cancel',
        cancel: { identifier: 'late' },
      }),
    );
    expect(late.statusCode).toBe(400);
  });
});

describe('fault injection on meter events', () => {
  it('a lost response was recorded: the retry with the same identifier gets the duplicate 400', async () => {
    const meter = await createMeter();
    const customer = await h.stripe.customers.create({ email: 'lost@example.com' });
    // times: 2 because stripe-node retries a reset connection once by itself (same idempotency key)
    h.emulator.faults.set({ method: 'POST', path: '/v1/billing/meter_events', dropResponse: true, times: 2 });
    const params = {
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '3' },
      identifier: 'lost-1',
    };
    const lost = await rejection(h.stripe.billing.meterEvents.create(params));
    expect(lost.type).toBe('StripeConnectionError');
    const retried = await rejection(h.stripe.billing.meterEvents.create(params));
    expect(retried).toMatchObject({
      statusCode: 400,
      message: 'An event already exists with identifier lost-1.',
    });
    expect(await emulatorControl(h.emulator.url).meterTotal(meter.id, customer.id)).toBe(3);
  });

  it("the SDK's own retry after one lost response is replayed, not counted twice", async () => {
    const meter = await createMeter();
    const customer = await h.stripe.customers.create({ email: 'replayed@example.com' });
    h.emulator.faults.set({ method: 'POST', path: '/v1/billing/meter_events', dropResponse: true, times: 1 });
    const event = await h.stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '4' },
      identifier: 'replayed-1',
    });
    expect(event.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(await emulatorControl(h.emulator.url).meterTotal(meter.id, customer.id)).toBe(4);
  });

  it('a failed call was not recorded: the retry is accepted and counted once', async () => {
    const meter = await createMeter();
    const customer = await h.stripe.customers.create({ email: 'failed@example.com' });
    h.emulator.faults.set({ method: 'POST', path: '/v1/billing/meter_events', status: 500, times: 1 });
    const params = {
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '3' },
      identifier: 'failed-1',
    };
    const failed = await rejection(h.stripe.billing.meterEvents.create(params));
    expect(failed.statusCode).toBe(500);
    expect(await emulatorControl(h.emulator.url).meterTotal(meter.id, customer.id)).toBe(0);
    await h.stripe.billing.meterEvents.create(params);
    expect(await emulatorControl(h.emulator.url).meterTotal(meter.id, customer.id)).toBe(3);
  });
});

describe('meter state', () => {
  it('shows meters, events and adjustments in /_emulator/state', async () => {
    const meter = await createMeter();
    const customer = await h.stripe.customers.create({ email: 'state@example.com' });
    const beforeCancel = nowSeconds();
    await h.stripe.billing.meterEvents.create({
      event_name: meter.event_name,
      payload: { stripe_customer_id: customer.id, value: '2' },
      identifier: 'state-1',
    });
    await h.stripe.billing.meterEventAdjustments.create({
      event_name: meter.event_name,
      type: 'cancel',
      cancel: { identifier: 'state-1' },
    });
    const state = (await emulatorControl(h.emulator.url).state()) as {
      meters: { id: string }[];
      meterEvents: { meter: string; customer: string; value: number; canceledAt: number | null }[];
      meterEventAdjustments: { meter: string }[];
    };
    expect(state.meters.map((m) => m.id)).toContain(meter.id);
    expect(state.meterEvents.find((e) => e.meter === meter.id)).toMatchObject({
      customer: customer.id,
      value: 2,
      canceledAt: takenSince(beforeCancel),
    });
    expect(state.meterEventAdjustments.some((a) => a.meter === meter.id)).toBe(true);
  });
});
