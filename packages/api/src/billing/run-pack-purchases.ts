import {
  applyPackDispute,
  applyPackRefund,
  creditPackPurchase,
  findAccount,
  type Database,
} from '@tollgate/db';
import {
  ACCOUNT_REFERENCE_PREFIX,
  AppError,
  getRunPack,
  isRunPackId,
  runPackExpiry,
  type RunPackId,
} from '@tollgate/domain';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { ApiDeps } from '../config';
import type { SubscriptionService } from '../services/subscription-service';
import type { Tenant } from '../tenant';
import type { CheckoutSession } from './billing-service';
import { preparePackDispute, type PackDisputeFacts } from './pack-disputes';
import {
  applyTakenBack,
  NOTHING_TAKEN_BACK,
  takenBackOfPayment,
  type PaymentTakenBack,
} from './payment-clawbacks';
import { sameOriginUrl } from './redirect-urls';
import { ownerOfMetadata, ownerOfReference } from './stripe-owner';
import { PermanentWebhookError } from './webhook-errors';

const SETTINGS_PATH = '/settings/subscription';

/** A pack's Checkout Session as re-fetched from Stripe: what decides whether (and what) to credit. */
export interface PackSessionFacts {
  sessionId: string;
  accountId: string;
  packId: RunPackId;
  units: number;
  isPaid: boolean;
  paymentIntentId: string | null;
  amountPaidCents: number;
  currency: string;
  /** Refunded and disputed so far of the payment (read with the session): applied as the credit is made. */
  takenBack: PaymentTakenBack;
}

/** A pack charge's refunds as re-fetched from Stripe (the cumulative amount, so any order converges). */
export interface PackRefundFacts {
  paymentIntentId: string;
  amountRefundedCents: number;
}

const idOf = z
  .union([z.string(), z.object({ id: z.string() })])
  .transform((v) => (typeof v === 'string' ? v : v.id));

const packSessionSchema = z.object({
  id: z.string().min(1),
  mode: z.literal('payment'),
  payment_status: z.string(),
  amount_total: z.number().int().nullable(),
  currency: z.string().nullable(),
  payment_intent: idOf.nullable().optional(),
  client_reference_id: z.string().nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
});

const chargeSchema = z.object({
  id: z.string().min(1),
  amount_refunded: z.number().int().nonnegative(),
  payment_intent: idOf.nullable().optional(),
});

/**
 * Run packs bought through Stripe Checkout in payment mode. The session carries the pack and its units
 * in metadata (written by this server with the secret key, read back from Stripe, never from the
 * browser); units are credited only once Stripe says the session is paid, once per session, ever; a
 * refund claws back ⌈units × refunded ÷ paid⌉ of the charge's cumulative refunded amount, and a
 * dispute not won what it holds, the same way (⌈units × min(paid, refunded + disputed) ÷ paid⌉).
 */
export function createRunPackPurchases(
  deps: ApiDeps,
  stripe: Stripe,
  subscriptions: SubscriptionService,
  ensureCustomer: (tenant: Tenant) => Promise<string>,
) {
  const { config, now } = deps;

  async function createPackCheckout(
    tenant: Tenant,
    input: { packId: RunPackId; successUrl?: string; cancelUrl?: string },
  ): Promise<CheckoutSession> {
    const pack = getRunPack(input.packId);
    // An account that can't spend runs at all (a team without a plan, past due after its grace on a
    // team) would pay for runs it can't use: it is told what would help instead.
    const entitlement = subscriptions.entitlementOf(await subscriptions.loadState(tenant), now());
    if (entitlement.block) {
      throw new AppError('CONFLICT', `${entitlement.block.message} A pack would not help until then.`);
    }
    const successUrl = sameOriginUrl(input.successUrl, config.appUrl, `${SETTINGS_PATH}?pack=success`);
    const cancelUrl = sameOriginUrl(input.cancelUrl, config.appUrl, `${SETTINGS_PATH}?pack=canceled`);
    const customer = await ensureCustomer(tenant);
    const metadata = {
      accountId: tenant.accountId,
      purchase: 'run_pack',
      packId: pack.id,
      units: String(pack.units),
      boughtBy: tenant.userId,
    };
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer,
      client_reference_id: `${ACCOUNT_REFERENCE_PREFIX}${tenant.accountId}`,
      // An inline one-time price from the one catalog: no price ids to configure per deployment.
      line_items: [
        {
          price_data: {
            currency: pack.currency,
            unit_amount: pack.priceCents,
            product_data: { name: `${pack.name} (expires 12 months after purchase)` },
          },
          quantity: 1,
        },
      ],
      // On the PaymentIntent too, so its charge (and a refund of it) names the pack and the account.
      payment_intent_data: { metadata },
      metadata,
      success_url: successUrl,
      cancel_url: cancelUrl,
    });
    if (!session.url) throw new AppError('INTERNAL', 'Stripe returned no checkout URL');
    return { id: session.id, url: session.url };
  }

  /** Re-fetches a pack's session from Stripe (outside any transaction): Stripe's word, not the event's. */
  async function prepareSession(sessionId: string): Promise<PackSessionFacts> {
    const raw = await stripe.checkout.sessions.retrieve(sessionId);
    const parsed = packSessionSchema.safeParse(raw);
    if (!parsed.success) {
      throw new PermanentWebhookError(
        'malformed_event',
        `Checkout session ${sessionId} is not a pack payment`,
      );
    }
    const session = parsed.data;
    const metadata = session.metadata ?? {};
    const packId = metadata['packId'];
    const units = Number(metadata['units']);
    if (!isRunPackId(packId) || !Number.isSafeInteger(units) || units <= 0) {
      throw new PermanentWebhookError(
        'malformed_event',
        `Checkout session ${sessionId} names no known run pack`,
      );
    }
    const owner =
      ownerOfMetadata({ accountId: metadata['accountId'] ?? null, userId: null }) ??
      ownerOfReference(session.client_reference_id ?? null);
    if (!owner) {
      throw new PermanentWebhookError('account_not_found', `Checkout session ${sessionId} names no account`);
    }
    const isPaid = session.payment_status === 'paid';
    const paymentIntentId = session.payment_intent ?? null;
    return {
      sessionId,
      accountId: owner.accountId,
      packId,
      units,
      isPaid,
      paymentIntentId,
      amountPaidCents: session.amount_total ?? 0,
      currency: session.currency ?? 'usd',
      takenBack:
        isPaid && paymentIntentId ? await takenBackOfPayment(stripe, paymentIntentId) : NOTHING_TAKEN_BACK,
    };
  }

  /** In the webhook's transaction: credits the pack once if paid. Returns the grant's id when credited now. */
  async function applySession(tx: Database, facts: PackSessionFacts): Promise<{ isCredited: boolean }> {
    if (!facts.isPaid) return { isCredited: false };
    if (facts.amountPaidCents <= 0) {
      throw new PermanentWebhookError('malformed_event', `Checkout session ${facts.sessionId} paid nothing`);
    }
    if (!(await findAccount(tx, facts.accountId))) {
      throw new PermanentWebhookError('account_not_found', `No Tollgate account ${facts.accountId}`);
    }
    const purchasedAt = now();
    const { isNew } = await creditPackPurchase(tx, {
      accountId: facts.accountId,
      packId: facts.packId,
      units: facts.units,
      checkoutSessionId: facts.sessionId,
      paymentIntentId: facts.paymentIntentId,
      amountPaidCents: facts.amountPaidCents,
      currency: facts.currency,
      purchasedAt,
      expiresAt: runPackExpiry(purchasedAt),
    });
    // A refund or dispute delivered before this commit found no pack: what prepareSession read of the
    // payment, and what those events recorded (one may have come after that read), apply here. The
    // target is never lowered, so applying them again (a redelivered session) changes nothing.
    if (facts.paymentIntentId) await applyTakenBack(tx, facts.paymentIntentId, facts.takenBack);
    return { isCredited: isNew };
  }

  /** Re-fetches a charge from Stripe (outside any transaction) for its cumulative refunded amount. */
  async function prepareRefund(chargeId: string): Promise<PackRefundFacts | null> {
    const charge = chargeSchema.safeParse(await stripe.charges.retrieve(chargeId));
    if (!charge.success) {
      throw new PermanentWebhookError('malformed_event', `Charge ${chargeId} could not be read`);
    }
    const paymentIntentId = charge.data.payment_intent ?? null;
    if (!paymentIntentId) return null;
    return { paymentIntentId, amountRefundedCents: charge.data.amount_refunded };
  }

  /** In the webhook's transaction: the pack's clawback follows the cumulative refund (null: not a pack). */
  async function applyRefund(tx: Database, facts: PackRefundFacts) {
    return applyPackRefund(tx, facts);
  }

  /** Re-fetches a dispute and what its payment's disputes hold (outside any transaction); null: no pack. */
  function prepareDispute(disputeId: string): Promise<PackDisputeFacts | null> {
    return preparePackDispute(stripe, disputeId);
  }

  /** In the webhook's transaction: the pack's clawback follows what disputes not won hold (null: not a pack). */
  async function applyDispute(tx: Database, facts: PackDisputeFacts) {
    return applyPackDispute(tx, {
      paymentIntentId: facts.paymentIntentId,
      amountDisputedCents: facts.amounts.disputedCents,
      amountDisputeWonCents: facts.amounts.wonCents,
    });
  }

  return {
    createPackCheckout,
    prepareSession,
    applySession,
    prepareRefund,
    applyRefund,
    prepareDispute,
    applyDispute,
  };
}

export type RunPackPurchases = ReturnType<typeof createRunPackPurchases>;
