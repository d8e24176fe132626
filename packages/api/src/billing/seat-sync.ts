import { randomUUID } from 'node:crypto';
import { getSeatState, listSeatDrift, recordSeatSyncError, type SeatState } from '@tollgate/db';
import { CHECKOUT_PLAN_IDS, PLANS } from '@tollgate/domain';
import Stripe from 'stripe';
import type { ApiDeps } from '../config';
import { forEachAccountPage } from './account-pages';
import type { BillingSettings } from './stripe-settings';
import type { SubscriptionSync } from './subscription-sync';

export type SeatSyncOutcome = 'in_sync' | 'not_seat_priced' | 'updated' | 'failed';

const SEAT_PRICED_PLANS = CHECKOUT_PLAN_IDS.filter((plan) => PLANS[plan].isSeatPriced);

/**
 * How many times one call pushes the member count: a membership change committed while Stripe was
 * being told the previous count is then sent at once, not on the worker's next pass.
 */
const MAX_PASSES = 3;

type SeatPricedState = SeatState & { stripeSubscriptionId: string };

function isSeatPriced(state: SeatState | null): state is SeatPricedState {
  return (
    state !== null &&
    state.stripeSubscriptionId !== null &&
    SEAT_PRICED_PLANS.some((plan) => plan === state.plan)
  );
}

/**
 * A seat-priced subscription's quantity follows the account's committed member count. Stripe is
 * told an absolute quantity (so repeating it is harmless) under an idempotency key named after the
 * membership version (a retried call of one version is one change at Stripe, with one pair of
 * proration lines); what Stripe confirmed is stored only from its own object (the re-fetch below, or
 * the subscription.updated webhook), never from what was sent. Until the two agree, the next pass
 * (after the next membership change, the periodic worker, reconciliation) tries again. No transaction
 * is open while Stripe is called. Seats never buy runs: a quantity change keeps the period, and the
 * run limit is per plan.
 */
export function createSeatSync(deps: ApiDeps, settings: BillingSettings, sync: SubscriptionSync) {
  const { db, logger } = deps;
  const { stripe } = settings;
  const seatPriceIds = new Set(SEAT_PRICED_PLANS.map((plan) => settings.priceIds[plan]));

  /** null: the subscription is on no seat-priced plan at Stripe (see push). */
  function seatItemOf(subscription: Stripe.Subscription): Stripe.SubscriptionItem | null {
    return subscription.items.data.find((candidate) => seatPriceIds.has(candidate.price.id)) ?? null;
  }

  function setQuantity(subscriptionId: string, itemId: string, quantity: number, idempotencyKey: string) {
    return stripe.subscriptions.update(
      subscriptionId,
      { items: [{ id: itemId, quantity }], proration_behavior: 'create_prorations' },
      { idempotencyKey },
    );
  }

  async function isReplayed(call: () => Promise<Stripe.Response<Stripe.Subscription>>): Promise<boolean> {
    try {
      return (await call()).lastResponse?.headers['idempotent-replayed'] === 'true';
    } catch (error) {
      if (error instanceof Stripe.errors.StripeIdempotencyError) return true;
      throw error;
    }
  }

  /**
   * Tells Stripe the member count of `state` (unless it has it already), then stores what Stripe has.
   * A subscription that left the seat-priced plan at Stripe (moved to another price in the dashboard,
   * its webhook not processed yet) has no seats to count: nothing is sent, and the sync stores what
   * Stripe has (a team on another price has no plan, see planGrantedByPrice), which ends the drift.
   */
  async function push(state: SeatPricedState): Promise<'updated' | 'not_seat_priced'> {
    const { accountId, stripeSubscriptionId: subscriptionId, members } = state;
    const item = seatItemOf(await stripe.subscriptions.retrieve(subscriptionId));
    if (!item) {
      await sync.sync(subscriptionId);
      return 'not_seat_priced';
    }
    if (item.quantity !== members) {
      const key = `tollgate-seats-${accountId}-${state.membershipVersion}`;
      // A replayed answer means this version's change was made before (by a concurrent pass: then
      // Stripe has the count now), or was made and the quantity changed since, by hand in the
      // dashboard: then the replay changed nothing, and the count is set again under a key of its own.
      // So does a key Stripe refuses because it carried another count (members removed without a
      // version bump, e.g. by a cascade).
      if (await isReplayed(() => setQuantity(subscriptionId, item.id, members, key))) {
        const current = seatItemOf(await stripe.subscriptions.retrieve(subscriptionId));
        if (current && current.quantity !== members) {
          await setQuantity(subscriptionId, current.id, members, `${key}-repair-${randomUUID()}`);
        }
      }
    }
    await sync.sync(subscriptionId);
    return 'updated';
  }

  async function syncAccount(accountId: string): Promise<SeatSyncOutcome> {
    let outcome: SeatSyncOutcome = 'in_sync';
    for (let pass = 0; pass < MAX_PASSES; pass += 1) {
      const state = await getSeatState(db, accountId);
      if (!isSeatPriced(state)) {
        // Nothing to count is no error: one recorded while the plan was seat-priced ends with it.
        if (pass === 0 && state?.stripeSubscriptionId) await recordSeatSyncError(db, accountId, null);
        return pass === 0 ? 'not_seat_priced' : outcome;
      }
      if (state.stripeQuantity === state.members) {
        // Stripe confirmed the member count: a failure recorded before is repaired (also when the
        // failed call did reach Stripe and its webhook brought the count).
        await recordSeatSyncError(db, accountId, null);
        return outcome;
      }
      try {
        if ((await push(state)) === 'not_seat_priced') {
          await recordSeatSyncError(db, accountId, null);
          return 'not_seat_priced';
        }
        outcome = 'updated';
      } catch (error) {
        // A concurrent pass may have succeeded meanwhile: its cleared error stays cleared.
        const current = await getSeatState(db, accountId).catch(() => null);
        if (current && current.stripeQuantity === current.members) return outcome;
        logger.warn('seat sync failed; retried on the next pass', { accountId, error: String(error) });
        await recordSeatSyncError(db, accountId, String(error).slice(0, 500)).catch(() => undefined);
        return 'failed';
      }
    }
    // Still apart after every pass (the count kept changing, or Stripe stores something else): the
    // next pass (the next change, the worker) goes on.
    return outcome;
  }

  /**
   * The periodic pass: every team account whose confirmed quantity differs from its members, read
   * `pageSize` at a time in account order. All of them: a page of accounts that fail every time (a
   * subscription Stripe can't serve) would otherwise be the whole pass, every pass.
   */
  async function syncDrifted(pageSize = 100): Promise<{ checked: number; updated: number; failed: number }> {
    const counts = { checked: 0, updated: 0, failed: 0 };
    await forEachAccountPage(
      pageSize,
      (after, limit) => listSeatDrift(db, SEAT_PRICED_PLANS, limit, after),
      async (state) => {
        const outcome = await syncAccount(state.accountId);
        counts.checked += 1;
        if (outcome === 'updated') counts.updated += 1;
        if (outcome === 'failed') counts.failed += 1;
      },
    );
    return counts;
  }

  return { syncAccount, syncDrifted };
}

export type SeatSync = ReturnType<typeof createSeatSync>;
