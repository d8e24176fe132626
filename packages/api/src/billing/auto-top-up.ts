import {
  findAccount,
  finishAutoTopUp,
  getSubscriptionStates,
  listStalePendingAutoTopUps,
  readAutoTopUpBalance,
  startAutoTopUp,
  type AutoTopUpOutcome,
  type AutoTopUpRow,
} from '@tollgate/db';
import { RUN_PACKS, isRunPackId, runPackExpiry } from '@tollgate/domain';
import Stripe from 'stripe';
import type { ApiDeps } from '../config';
import { displayAccountName } from '../notifications/billing-notices';
import { notify } from '../notifications/notifier';
import { monthStart } from '../services/spend-service';
import { applyTakenBack, takenBackOfPayment } from './payment-clawbacks';
import type { BillingSettings } from './stripe-settings';

/** After a decline, no automatic purchase before this much time has passed. */
export const AUTO_TOP_UP_BACKOFF_MS = 24 * 60 * 60 * 1000;
/** A run that finds the balance still low (not a crossing) asks again at most this often per process. */
const RETRY_THROTTLE_MS = 10_000;
/** A purchase still pending after this long lost its charge's answer (or its process): charge again. */
const STALE_AFTER_MS = 60_000;
/** A purchase's payment is looked for from this long before the purchase row was made (clock skew). */
const EARLIER_PAYMENT_SLACK_SECONDS = 300;

/**
 * What a reservation, a refusal or a settle saw of the account's spendable balance (allowance left +
 * credits), before and after it. A refusal moved nothing: before = after.
 */
export interface BalanceObservation {
  accountId: string;
  periodStart: Date;
  threshold: number;
  before: number;
  after: number;
}

/**
 * Auto top-up: when a reservation or a settle's overrun takes the spendable balance below the account's
 * threshold, buy the chosen pack off-session with the saved card. Exactly one purchase per crossing
 * however many runs cross together: `startAutoTopUp` inserts one only while none is pending and the
 * balance is below the threshold at that moment (so a late look at an old low balance buys nothing once
 * the pack landed). A balance that is already low asks again, at most every RETRY_THROTTLE_MS per
 * account and process: a run reserved below the threshold, and a run REFUSED for lack of balance
 * (otherwise an account whose purchase was declined, or whose balance a settle emptied, would stay
 * refused for the rest of the period: only reservations asked, and none is admitted any more).
 * The charge is a PaymentIntent whose idempotency key is the purchase's id, so a retry after a lost
 * answer charges once; a decline sets a back-off and emails the account's owners and admins.
 */
export function createAutoTopUp(deps: ApiDeps, settings: BillingSettings) {
  const { db, now, logger, config } = deps;
  const { stripe } = settings;
  const lastAsked = new Map<string, number>();
  const settingsUrl = new URL('/settings/subscription', config.appUrl).toString();

  /**
   * Called after each reservation of an account with auto top-up on, and after each refusal of one
   * for lack of balance (never awaited by the run: a refused caller gets its 402 at once).
   */
  function observe(seen: BalanceObservation): void {
    if (seen.after >= seen.threshold) return;
    const isCrossing = seen.before >= seen.threshold;
    const at = now().getTime();
    if (!isCrossing && at - (lastAsked.get(seen.accountId) ?? -Infinity) < RETRY_THROTTLE_MS) return;
    lastAsked.set(seen.accountId, at);
    attempt(seen.accountId, seen.periodStart).catch((error: unknown) =>
      logger.warn('auto top-up failed; retried by the next low balance or the sweep', {
        accountId: seen.accountId,
        error: String(error),
      }),
    );
  }

  /**
   * Called after a settle drew an overrun (`drawn` units past the reservation) on an account in
   * `periodStart` (never awaited by the settle). The settle doesn't know the balance: it is read (one
   * statement, nothing when auto top-up is off) and observed as a reservation's would be, the balance
   * before being the balance after plus the overrun. Part of an overrun may have been drawn as
   * overage, which was no balance: `before` is then too high, and at worst an observation that is no
   * crossing skips the throttle; `startAutoTopUp` still buys only below the threshold and once.
   */
  function observeOverrun(accountId: string, periodStart: Date, drawn: number): void {
    if (drawn <= 0) return;
    readAutoTopUpBalance(db, { accountId, periodStart, now: now() })
      .then((seen) => {
        if (!seen) return;
        observe({
          accountId,
          periodStart,
          threshold: seen.threshold,
          before: seen.balance + drawn,
          after: seen.balance,
        });
      })
      .catch((error: unknown) =>
        logger.warn('auto top-up: the balance after an overrun could not be read; the next run asks', {
          accountId,
          error: String(error),
        }),
      );
  }

  /** Starts a purchase if the rules allow one now, and charges it. */
  async function attempt(accountId: string, periodStart: Date): Promise<AutoTopUpRow['status'] | null> {
    const at = now();
    const purchase = await startAutoTopUp(db, {
      accountId,
      periodStart,
      now: at,
      monthStart: monthStart(at),
    });
    if (!purchase) return null;
    return charge(purchase);
  }

  /**
   * Charges a pending purchase. Again (the sweep, after a lost answer): first the payment Stripe may
   * already have for it, then the same idempotency key, so one charge either way.
   */
  async function charge(purchase: AutoTopUpRow, isRetry = false): Promise<AutoTopUpRow['status']> {
    const pack = isRunPackId(purchase.packId) ? RUN_PACKS[purchase.packId] : null;
    const earlier = isRetry && pack ? await earlierPayment(purchase) : null;
    const outcome = earlier && pack ? outcomeOf(earlier, pack.units) : await chargeOutcome(purchase);
    if (!outcome) return 'pending';
    // A refund or dispute delivered while the purchase was pending found no pack to claw back
    // (ignored): it applies as the pack is credited.
    const takenBack =
      outcome.status === 'succeeded' ? await takenBackOfPayment(stripe, outcome.paymentIntentId) : null;
    const at = now();
    await finishAutoTopUp(db, purchase, outcome, at, async (tx) => {
      if (outcome.status === 'succeeded' && takenBack) {
        await applyTakenBack(tx, outcome.paymentIntentId, takenBack);
      }
      if (outcome.status !== 'declined') return;
      const account = await findAccount(tx, purchase.accountId);
      const pack = RUN_PACKS[isRunPackId(purchase.packId) ? purchase.packId : 'PACK_100'];
      await notify(
        tx,
        {
          email: {
            kind: 'auto_top_up_declined',
            accountName: displayAccountName(account?.name),
            packName: pack.name,
            amount: pack.priceCents,
            currency: pack.currency,
            declineCode: outcome.code,
            retryAfter: outcome.backoffUntil,
            settingsUrl,
          },
          accountId: purchase.accountId,
          key: purchase.id,
          audience: { to: 'billing-admins', accountId: purchase.accountId },
        },
        at,
      );
    });
    logger.info('auto top-up finished', { accountId: purchase.accountId, purchase: purchase.id, ...outcome });
    return outcome.status;
  }

  /** What Stripe said; null when it said nothing we can rely on (try again later, same key). */
  async function chargeOutcome(purchase: AutoTopUpRow): Promise<AutoTopUpOutcome | null> {
    if (!isRunPackId(purchase.packId)) {
      return {
        status: 'failed',
        code: 'unknown_pack',
        backoffUntil: new Date(now().getTime() + AUTO_TOP_UP_BACKOFF_MS),
      };
    }
    const pack = RUN_PACKS[purchase.packId];
    const state = (await getSubscriptionStates(db, [purchase.accountId])).get(purchase.accountId);
    const customerId = state?.stripeCustomerId ?? null;
    const paymentMethod = customerId
      ? await savedCardOf(customerId, state?.stripeSubscriptionId ?? null)
      : null;
    const backoffUntil = new Date(now().getTime() + AUTO_TOP_UP_BACKOFF_MS);
    if (!customerId || !paymentMethod) {
      return { status: 'declined', paymentIntentId: null, code: 'no_saved_card', backoffUntil };
    }
    try {
      const intent = await stripe.paymentIntents.create(
        {
          amount: pack.priceCents,
          currency: pack.currency,
          customer: customerId,
          payment_method: paymentMethod,
          off_session: true,
          confirm: true,
          description: `${pack.name} (automatic top-up)`,
          metadata: {
            purchase: 'auto_top_up',
            accountId: purchase.accountId,
            autoTopUpId: purchase.id,
            packId: pack.id,
          },
        },
        { idempotencyKey: `tollgate-auto-top-up-${purchase.id}` },
      );
      return outcomeOf(intent, pack.units);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) {
        const code = error.decline_code ?? error.code ?? 'card_declined';
        return { status: 'declined', paymentIntentId: error.payment_intent?.id ?? null, code, backoffUntil };
      }
      if (error instanceof Stripe.errors.StripeInvalidRequestError) {
        return { status: 'failed', code: error.code ?? 'invalid_request', backoffUntil };
      }
      // Network, timeout, 5xx, 429 (after the SDK's own retries): Stripe may have charged. Stay pending;
      // the sweep charges again with the same idempotency key, which answers what happened.
      logger.warn('auto top-up charge unanswered; kept pending', {
        accountId: purchase.accountId,
        purchase: purchase.id,
        error: String(error),
      });
      return null;
    }
  }

  /** What a PaymentIntent made for a purchase says (null: Stripe is still processing it). */
  function outcomeOf(intent: Stripe.PaymentIntent, units: number): AutoTopUpOutcome | null {
    if (intent.status === 'succeeded') {
      return {
        status: 'succeeded',
        paymentIntentId: intent.id,
        units,
        amountPaidCents: intent.amount_received,
        currency: intent.currency,
        expiresAt: runPackExpiry(now()),
      };
    }
    if (intent.status === 'processing') return null;
    // requires_action (3-D Secure): an off-session charge can't complete without the customer; a card
    // that failed leaves the intent asking for another payment method.
    const error = intent.last_payment_error;
    const code = error?.decline_code ?? error?.code ?? intent.status;
    const backoffUntil = new Date(now().getTime() + AUTO_TOP_UP_BACKOFF_MS);
    return { status: 'declined', paymentIntentId: intent.id, code, backoffUntil };
  }

  /**
   * The payment an earlier attempt of this purchase made at Stripe, if any, found by the purchase id in
   * its metadata among the customer's payments (null: none, or the account has no customer). Charging
   * again with the same idempotency key alone is not enough: Stripe refuses the key when the request
   * differs (the saved card changed meanwhile) and forgets it after 24 hours.
   */
  async function earlierPayment(purchase: AutoTopUpRow): Promise<Stripe.PaymentIntent | null> {
    const state = (await getSubscriptionStates(db, [purchase.accountId])).get(purchase.accountId);
    const customer = state?.stripeCustomerId ?? null;
    if (!customer) return null;
    const since = Math.floor(purchase.createdAt.getTime() / 1000) - EARLIER_PAYMENT_SLACK_SECONDS;
    for await (const intent of stripe.paymentIntents.list({
      customer,
      created: { gte: since },
      limit: 100,
    })) {
      if (intent.metadata?.['autoTopUpId'] === purchase.id) return intent;
    }
    return null;
  }

  /**
   * The card to charge: the customer's invoice default, else the subscription's (Checkout in
   * subscription mode saves the card on the subscription, not as the customer's default).
   */
  async function savedCardOf(customerId: string, subscriptionId: string | null): Promise<string | null> {
    const customer = await stripe.customers.retrieve(customerId);
    if (!customer.deleted) {
      const preferred = customer.invoice_settings?.default_payment_method;
      if (preferred) return typeof preferred === 'string' ? preferred : preferred.id;
    }
    if (!subscriptionId) return null;
    const subscription = await stripe.subscriptions.retrieve(subscriptionId);
    const method = subscription.default_payment_method;
    return method ? (typeof method === 'string' ? method : method.id) : null;
  }

  /**
   * Purchases left pending by a lost answer or a dead process: charged again (same key: once). It
   * starts none: a balance lowered without a run (a pack expired, a refund or dispute clawed units
   * back) is topped up by the account's next run, reserved (below the threshold) or refused, which asks.
   * An account that runs nothing needs no runs bought for it, and finding the accounts below their
   * threshold would be a scan of every account's period and grants on each pass.
   */
  async function sweep(): Promise<number> {
    const stale = await listStalePendingAutoTopUps(db, new Date(now().getTime() - STALE_AFTER_MS));
    let finished = 0;
    for (const purchase of stale) if ((await charge(purchase, true)) !== 'pending') finished += 1;
    return finished;
  }

  return { observe, observeOverrun, attempt, sweep };
}

export type AutoTopUp = ReturnType<typeof createAutoTopUp>;
