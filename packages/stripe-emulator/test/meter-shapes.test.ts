import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';

/**
 * Stripe's own example objects (stripe/openapi fixtures3.json, see test/fixtures/README.md) are the
 * reference for the billing meter objects: the emulator's answers must have exactly their keys, at
 * the top level and inside the nested objects, so a handler written against the emulator reads the
 * same fields it will get from Stripe and nothing Stripe doesn't send.
 */
function fixture(name: string): Record<string, unknown> {
  const url = new URL(`./fixtures/openapi/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
}

function keysOf(value: unknown): string[] {
  return Object.keys(value as object).sort();
}

/** The key set of the object and of each nested (non-null, non-array) object, by dotted path. */
function shapeOf(value: object, prefix = ''): Record<string, string[]> {
  const shape: Record<string, string[]> = { [prefix || '.']: keysOf(value) };
  for (const [key, child] of Object.entries(value)) {
    if (child === null || typeof child !== 'object' || Array.isArray(child)) continue;
    // payload is free-form: its keys are whatever the caller sent, not part of the shape
    if (key === 'payload') continue;
    Object.assign(shape, shapeOf(child, `${prefix}${key}.`));
  }
  return shape;
}

let h: Harness;
let meter: Stripe.Billing.Meter;
let meterEvent: Stripe.Billing.MeterEvent;
let adjustment: Stripe.Billing.MeterEventAdjustment;
let summary: Stripe.Billing.MeterEventSummary;

beforeAll(async () => {
  h = await startHarness();
  const customer = await h.stripe.customers.create({ email: 'meter-shapes@example.com' });
  meter = await h.stripe.billing.meters.create({
    display_name: 'Agent runs (shapes)',
    event_name: 'agent_runs_shapes',
    default_aggregation: { formula: 'sum' },
    customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
    value_settings: { event_payload_key: 'value' },
  });
  meterEvent = await h.stripe.billing.meterEvents.create({
    event_name: meter.event_name,
    identifier: 'shape-1',
    payload: { stripe_customer_id: customer.id, value: '3' },
  });
  await h.stripe.billing.meterEvents.create({
    event_name: meter.event_name,
    identifier: 'shape-2',
    payload: { stripe_customer_id: customer.id, value: '4' },
  });
  adjustment = await h.stripe.billing.meterEventAdjustments.create({
    event_name: meter.event_name,
    type: 'cancel',
    cancel: { identifier: 'shape-2' },
  });
  const minute = Math.floor(h.emulator.clock.now().getTime() / 60_000) * 60;
  const summaries = await h.stripe.billing.meters.listEventSummaries(meter.id, {
    customer: customer.id,
    start_time: minute - 3600,
    end_time: minute + 60,
  });
  const first = summaries.data[0];
  if (!first) throw new Error('no meter event summary');
  summary = first;
});
afterAll(async () => {
  await h.close();
});

describe('billing meter objects have exactly the keys of Stripe’s openapi fixtures', () => {
  it.each([
    ['billing.meter', () => meter],
    ['billing.meter_event', () => meterEvent],
    ['billing.meter_event_adjustment', () => adjustment],
    ['billing.meter_event_summary', () => summary],
  ])('%s', (name, ours) => {
    const reference = fixture(name);
    const emitted = ours();
    expect(emitted.object).toBe(name);
    expect(shapeOf(emitted)).toEqual(shapeOf(reference));
  });

  it('the values that are ours, not the fixture’s, are still well-formed', () => {
    // the summary counts only the uncanceled event, and the read-back meter has the same shape
    expect(summary.aggregated_value).toBe(3);
    expect(meterEvent.payload).toEqual({ stripe_customer_id: expect.stringMatching(/^cus_/), value: '3' });
    expect(adjustment).toMatchObject({ type: 'cancel', cancel: { identifier: 'shape-2' } });
  });

  it('a retrieved and a listed meter have the same keys as a created one', async () => {
    const retrieved = await h.stripe.billing.meters.retrieve(meter.id);
    const listed = (await h.stripe.billing.meters.list({ limit: 100 })).data.find((m) => m.id === meter.id);
    expect(shapeOf(retrieved)).toEqual(shapeOf(fixture('billing.meter')));
    expect(listed && shapeOf(listed)).toEqual(shapeOf(fixture('billing.meter')));
  });
});
