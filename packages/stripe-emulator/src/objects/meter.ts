import type Stripe from 'stripe';

export interface MeterInput {
  id: string;
  created: number;
  displayName: string;
  eventName: string;
  formula: Stripe.Billing.Meter.DefaultAggregation.Formula;
  customerPayloadKey: string;
  valuePayloadKey: string;
  eventTimeWindow: Stripe.Billing.Meter.EventTimeWindow | null;
}

export function buildMeter(input: MeterInput): Stripe.Billing.Meter {
  return {
    id: input.id,
    object: 'billing.meter',
    created: input.created,
    customer_mapping: { event_payload_key: input.customerPayloadKey, type: 'by_id' },
    default_aggregation: { formula: input.formula },
    display_name: input.displayName,
    event_name: input.eventName,
    event_time_window: input.eventTimeWindow,
    livemode: false,
    status: 'active',
    status_transitions: { deactivated_at: null },
    updated: input.created,
    value_settings: { event_payload_key: input.valuePayloadKey },
  };
}

export function buildMeterEvent(
  eventName: string,
  identifier: string,
  payload: Record<string, string>,
  created: number,
  timestamp: number,
): Stripe.Billing.MeterEvent {
  return {
    object: 'billing.meter_event',
    created,
    event_name: eventName,
    identifier,
    livemode: false,
    payload,
    timestamp,
  };
}

export function buildMeterEventSummary(
  id: string,
  meter: string,
  aggregatedValue: number,
  window: { start: number; end: number },
): Stripe.Billing.MeterEventSummary {
  return {
    id,
    object: 'billing.meter_event_summary',
    aggregated_value: aggregatedValue,
    end_time: window.end,
    livemode: false,
    meter,
    start_time: window.start,
  };
}
