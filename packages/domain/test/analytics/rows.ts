import type { SubscriptionChange } from '../../src/index';
import { at } from '../helpers';

/** A history row for unit tests: BASIC monthly at 19.00, active, unless told otherwise. */
export function row(iso: string, patch: Partial<SubscriptionChange> = {}): SubscriptionChange {
  return {
    accountId: 'A',
    subscriptionId: 's1',
    at: at(iso),
    status: 'active',
    plan: 'BASIC',
    priceCents: 1900,
    interval: 'month',
    quantity: 1,
    discountCents: 0,
    ...patch,
  };
}
