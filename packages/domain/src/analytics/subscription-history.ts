import type { PlanId } from '../plans';
import type { SubscriptionStatus } from '../subscription-status';
import { assertValidDate } from '../time';
import { assertWholeNumber } from './whole-number';

/**
 * One row of the subscription history (written by the webhook sync, backfilled from Stripe): the state
 * of one subscription from `at` until the next row of the same subscription. Only the licensed price is
 * here: the metered overage price, one-time packs and tax have no field, so MRR can't include them.
 */
export interface SubscriptionChange {
  accountId: string;
  subscriptionId: string;
  at: Date;
  status: SubscriptionStatus;
  plan: PlanId;
  /** The licensed (not metered) unit price per interval, in cents, tax excluded. */
  priceCents: number;
  interval: 'month' | 'year';
  /** Units billed: TEAM's seats; 1 for the other plans. */
  quantity: number;
  /**
   * Recurring discount in force, in cents per interval for the whole subscription (a repeating or
   * forever coupon); 0 without one. A one-time coupon is not recurring revenue lost: leave it out.
   */
  discountCents: number;
}

/** One subscription's rows, oldest first. */
export type SubscriptionRows = readonly SubscriptionChange[];

/** The history indexed once: every figure walks it per account and per subscription. */
export interface SubscriptionHistory {
  accounts: ReadonlyMap<string, readonly SubscriptionRows[]>;
}

function assertValidChange(change: SubscriptionChange): void {
  assertValidDate(change.at, 'at');
  assertWholeNumber(change.priceCents, 'priceCents');
  assertWholeNumber(change.quantity, 'quantity');
  assertWholeNumber(change.discountCents, 'discountCents');
}

/**
 * Groups the rows by account and subscription, oldest first. Two rows of one subscription at the same
 * instant are refused: which state held would depend on the order rows came out of the database.
 */
export function buildHistory(changes: readonly SubscriptionChange[]): SubscriptionHistory {
  const grouped = new Map<string, Map<string, SubscriptionChange[]>>();
  const instants = new Set<string>();
  for (const change of changes) {
    assertValidChange(change);
    const instant = JSON.stringify([change.accountId, change.subscriptionId, change.at.getTime()]);
    if (instants.has(instant)) {
      throw new RangeError(
        `Two states of subscription ${change.subscriptionId} at ${change.at.toISOString()}`,
      );
    }
    instants.add(instant);
    const subscriptions = grouped.get(change.accountId) ?? new Map<string, SubscriptionChange[]>();
    grouped.set(change.accountId, subscriptions);
    const rows = subscriptions.get(change.subscriptionId) ?? [];
    subscriptions.set(change.subscriptionId, rows);
    rows.push(change);
  }
  const accounts = new Map<string, SubscriptionRows[]>();
  for (const [accountId, subscriptions] of grouped) {
    const sorted = [...subscriptions.values()].map((rows) =>
      rows.sort((a, b) => a.at.getTime() - b.at.getTime()),
    );
    accounts.set(accountId, sorted);
  }
  return { accounts };
}

/** The row in force at `ms` (the latest with at ≤ ms); undefined before the subscription's first row. */
export function stateAt(rows: SubscriptionRows, ms: number): SubscriptionChange | undefined {
  return rows.findLast((row) => row.at.getTime() <= ms);
}
