import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import { StripeApiError, invalidRequest, missingParam, resourceMissing } from '../errors';
import { newId, randomBase62 } from '../ids';
import { buildMeterEvent } from '../objects/meter';
import type { MeterEventRecord } from '../store';

/** Stripe enforces identifier uniqueness (and allows cancellations) within a rolling 24 hours. */
export const IDENTIFIER_WINDOW_SECONDS = 86_400;
const MAX_PAST_SECONDS = 35 * 86_400;
const MAX_FUTURE_SECONDS = 5 * 60;

export function getMeter(ctx: EmulatorContext, id: string, param = 'id'): Stripe.Billing.Meter {
  const meter = ctx.store.meters.get(id);
  if (!meter) throw resourceMissing('billing.meter', id, param);
  return meter;
}

/** The active meter that ingests `eventName` (an event name belongs to one meter). */
export function activeMeterFor(ctx: EmulatorContext, eventName: string): Stripe.Billing.Meter {
  const meter = [...ctx.store.meters.values()].find(
    (candidate) => candidate.event_name === eventName && candidate.status === 'active',
  );
  if (!meter) {
    throw invalidRequest(`No active meter was found with event_name '${eventName}'.`, 'event_name');
  }
  return meter;
}

/** The newest event with this identifier for the meter that is still inside the 24 h window. */
export function recentEventWithIdentifier(
  ctx: EmulatorContext,
  meterId: string,
  identifier: string,
  now: number,
): MeterEventRecord | undefined {
  for (const record of [...ctx.store.meterEvents.values()].reverse()) {
    if (record.event.created <= now - IDENTIFIER_WINDOW_SECONDS) return undefined;
    if (record.meter === meterId && record.event.identifier === identifier) return record;
  }
  return undefined;
}

export interface MeterEventRequest {
  eventName: string;
  payload: Record<string, string>;
  identifier: string | undefined;
  timestamp: number | undefined;
}

/** What a meter event request names once validated: its meter, customer and value. */
export interface ValidatedMeterEvent {
  meter: Stripe.Billing.Meter;
  customer: string;
  value: number;
  identifier: string;
  timestamp: number;
}

/** Stripe's synchronous checks of POST /v1/billing/meter_events. Nothing is recorded yet. */
export function validateMeterEvent(ctx: EmulatorContext, request: MeterEventRequest): ValidatedMeterEvent {
  const now = ctx.clock.nowSeconds();
  const meter = activeMeterFor(ctx, request.eventName);
  const customerKey = meter.customer_mapping.event_payload_key;
  const valueKey = meter.value_settings.event_payload_key;
  const customer = request.payload[customerKey];
  if (!customer) throw missingParam(`payload[${customerKey}]`);
  if (!ctx.store.customers.has(customer)) {
    throw invalidRequest(`No such customer: '${customer}'`, `payload[${customerKey}]`, 'resource_missing');
  }
  const rawValue = request.payload[valueKey];
  const formula = meter.default_aggregation.formula;
  if (rawValue === undefined && formula !== 'count') throw missingParam(`payload[${valueKey}]`);
  if (rawValue !== undefined && !/^-?\d+$/.test(rawValue)) {
    throw invalidRequest(
      `Invalid value '${rawValue}' for payload[${valueKey}]: meter event values must be whole numbers.`,
      `payload[${valueKey}]`,
    );
  }
  const timestamp = request.timestamp ?? now;
  if (timestamp < now - MAX_PAST_SECONDS || timestamp > now + MAX_FUTURE_SECONDS) {
    throw invalidRequest(
      'Timestamp must be within the past 35 calendar days and no more than 5 minutes in the future.',
      'timestamp',
      'timestamp_out_of_range',
    );
  }
  const identifier = request.identifier ?? `${Date.now().toString(36)}-${randomBase62(16)}`;
  if (recentEventWithIdentifier(ctx, meter.id, identifier, now)) {
    throw new StripeApiError({
      status: 400,
      type: 'invalid_request_error',
      param: 'identifier',
      message: `An event already exists with identifier ${identifier}.`,
    });
  }
  return { meter, customer, value: rawValue === undefined ? 1 : Number(rawValue), identifier, timestamp };
}

export function recordMeterEvent(
  ctx: EmulatorContext,
  request: MeterEventRequest,
  validated: ValidatedMeterEvent,
): Stripe.Billing.MeterEvent {
  const event = buildMeterEvent(
    request.eventName,
    validated.identifier,
    { ...request.payload },
    ctx.clock.nowSeconds(),
    validated.timestamp,
  );
  ctx.store.meterEvents.set(newId('mev'), {
    event,
    meter: validated.meter.id,
    customer: validated.customer,
    value: validated.value,
    canceledAt: null,
  });
  return event;
}

/** Cancels an event (by identifier, within 24 h of its creation) so no aggregation counts it. */
export function cancelMeterEvent(
  ctx: EmulatorContext,
  eventName: string,
  identifier: string,
): Stripe.Billing.MeterEventAdjustment {
  const now = ctx.clock.nowSeconds();
  const meter = activeMeterFor(ctx, eventName);
  const record = recentEventWithIdentifier(ctx, meter.id, identifier, now);
  if (!record) {
    throw invalidRequest(
      `No meter event with identifier ${identifier} was found for event_name '${eventName}' in the last 24 hours.`,
      'cancel[identifier]',
      'resource_missing',
    );
  }
  if (record.canceledAt !== null) {
    throw invalidRequest(
      `The meter event with identifier ${identifier} has already been canceled.`,
      'cancel[identifier]',
    );
  }
  record.canceledAt = now;
  const adjustment: Stripe.Billing.MeterEventAdjustment = {
    object: 'billing.meter_event_adjustment',
    cancel: { identifier },
    event_name: eventName,
    livemode: false,
    // Stripe answers "pending" (it applies adjustments asynchronously); the emulator applies it at once
    status: 'pending',
    type: 'cancel',
  };
  ctx.store.meterEventAdjustments.set(newId('mea'), { adjustment, meter: meter.id, created: now });
  return adjustment;
}

/** The meter's aggregation for a customer's events with timestamps in [start, end). */
export function aggregateMeter(
  ctx: EmulatorContext,
  meter: Stripe.Billing.Meter,
  customer: string,
  start: number,
  end: number,
): number {
  const records = [...ctx.store.meterEvents.values()].filter(
    (record) =>
      record.meter === meter.id &&
      record.customer === customer &&
      record.canceledAt === null &&
      record.event.timestamp >= start &&
      record.event.timestamp < end,
  );
  const formula = meter.default_aggregation.formula;
  if (formula === 'count') return records.length;
  if (formula === 'last') {
    const last = [...records].sort((a, b) => a.event.timestamp - b.event.timestamp).at(-1);
    return last?.value ?? 0;
  }
  return records.reduce((sum, record) => sum + record.value, 0);
}
