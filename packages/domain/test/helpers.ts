import { freeSubscriptionState, type SubscriptionState } from '../src/index';

/** A Date from an ISO string; throws on a typo so a broken fixture can't pass as Invalid Date. */
export function at(iso: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`bad ISO date in test: ${iso}`);
  return date;
}

export function plusMs(date: Date, ms: number): Date {
  return new Date(date.getTime() + ms);
}

export function makeState(overrides: Partial<SubscriptionState> = {}): SubscriptionState {
  return { ...freeSubscriptionState(at('2024-01-31T08:00:00Z')), ...overrides };
}
