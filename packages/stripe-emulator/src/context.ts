import type { EmulatorClock } from './clock';
import type { EventEmitter, Moment } from './events';
import type { Store } from './store';

export interface BillingConfig {
  /** Origin used in hosted page URLs. */
  publicUrl: string;
  /** Renewal payment retries: seconds after each failed attempt. */
  retrySchedule: number[];
  endStateAfterRetries: 'canceled' | 'unpaid';
  /** How long a meter event request holds its (customer, meter) in-flight marker. 0 = answered at once. */
  meterEventHoldMs: number;
}

/** Everything the resources and the billing engine share. */
export interface EmulatorContext {
  store: Store;
  clock: EmulatorClock;
  events: EventEmitter;
  config: BillingConfig;
}

/** A clock-driven moment (no API request caused it). */
export function momentAt(at: number): Moment {
  return { at, request: null };
}
