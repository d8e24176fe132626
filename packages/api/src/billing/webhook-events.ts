import { createHash } from 'node:crypto';
import type { RecordEventInput } from '@tollgate/db';
import {
  parseStripeCheckoutSession,
  parseStripeEvent,
  parseStripeInvoice,
  parseStripeSubscription,
  type StripeEventEnvelope,
  type StripeSubscriptionSnapshot,
} from '@tollgate/domain';
import { z } from 'zod';
import { PermanentWebhookError, parsePermanently } from './webhook-errors';
import { ownerOfMetadata, ownerOfReference, type StripeOwner } from './stripe-owner';

/** Events whose effect is "bring this subscription's state up to date". */
const SUBSCRIPTION_EVENTS = new Set([
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.trial_will_end',
  'customer.subscription.pending_update_applied',
  'customer.subscription.pending_update_expired',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
  'invoice.payment_action_required',
]);

/** A pack charge's refunds: the charge is re-fetched for its cumulative refunded amount. */
const REFUND_EVENTS = new Set([
  'charge.refunded',
  'charge.refund.updated',
  'refund.created',
  'refund.updated',
]);

/**
 * A charge's disputes (chargebacks): every type carries the dispute, which is re-fetched, so all of
 * them converge on its current state whatever their order.
 */
const DISPUTE_EVENTS = new Set([
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
]);

/** What one event asks Tollgate to do, decided from its payload alone (no database, no Stripe). */
export type WebhookPlan =
  | { kind: 'sync'; subscriptionId: string; ownerHint: StripeOwner | null; customerId: string | null }
  | { kind: 'customer-deleted'; customerId: string }
  /** A payment-mode Checkout Session (a run pack): re-fetched, credited once when paid. */
  | { kind: 'pack-payment'; sessionId: string }
  /** A refund of a charge (a run pack's, if any): its clawback follows the cumulative refund. */
  | { kind: 'pack-refund'; chargeId: string }
  /** A dispute of a charge (a run pack's, if any): its clawback follows what disputes not won hold. */
  | { kind: 'pack-dispute'; disputeId: string }
  /** A type Tollgate doesn't handle, or a handled one about no subscription (a one-off payment). */
  | { kind: 'nothing'; isHandledType: boolean };

const refundSchema = z.object({
  id: z.string().min(1),
  charge: z
    .union([z.string(), z.object({ id: z.string() })])
    .nullish()
    .transform((charge) => (typeof charge === 'string' ? charge : (charge?.id ?? null))),
});

const packMetadataSchema = z.object({
  metadata: z.record(z.string(), z.string()).nullish(),
});

const idOnlySchema = (object: string) =>
  z.object({ id: z.string().min(1), object: z.literal(object).optional() });

/** Built once: a zod schema costs more to build than to run, and these run on every delivery. */
const customerIdSchema = idOnlySchema('customer');
const chargeIdSchema = idOnlySchema('charge');
const subscriptionIdSchema = idOnlySchema('subscription');
const disputeIdSchema = idOnlySchema('dispute');

/** The envelope of a signed delivery; a shape Tollgate can't read is a permanent failure. */
export function parseEnvelope(json: unknown): StripeEventEnvelope {
  const envelope = parsePermanently(() => parseStripeEvent(json));
  if (Number.isNaN(envelope.created.getTime())) {
    throw new PermanentWebhookError('malformed_event', 'Malformed Stripe event (created: out of range)');
  }
  return envelope;
}

/**
 * The subscription a customer.subscription.* event carries: how it was at the event's time, for the
 * history. Null for other events, and for a payload that can't be read as one (the sync's own fetch
 * still applies; the history then dates that by the sync's clock).
 */
export function observedSubscriptionOf(
  envelope: StripeEventEnvelope,
  isPlanPrice: (priceId: string) => boolean,
): StripeSubscriptionSnapshot | null {
  if (!envelope.type.startsWith('customer.subscription.')) return null;
  try {
    return parseStripeSubscription(envelope.object, isPlanPrice);
  } catch {
    return null;
  }
}

export function planOf(envelope: StripeEventEnvelope): WebhookPlan {
  const { type, object } = envelope;
  if (type === 'customer.deleted') {
    return { kind: 'customer-deleted', customerId: readObject(customerIdSchema, object, type).id };
  }
  if (REFUND_EVENTS.has(type)) {
    // charge.refunded carries the charge; the others a refund, which names its charge.
    const chargeId =
      type === 'charge.refunded'
        ? readObject(chargeIdSchema, object, type).id
        : readObject(refundSchema, object, type).charge;
    return chargeId ? { kind: 'pack-refund', chargeId } : { kind: 'nothing', isHandledType: true };
  }
  if (DISPUTE_EVENTS.has(type)) {
    return { kind: 'pack-dispute', disputeId: readObject(disputeIdSchema, object, type).id };
  }
  if (!SUBSCRIPTION_EVENTS.has(type)) return { kind: 'nothing', isHandledType: false };
  if (type.startsWith('checkout.session.')) {
    const session = parsePermanently(() => parseStripeCheckoutSession(object));
    if (!session.subscriptionId) {
      // A one-time payment: a run pack when this server made the session (its metadata names the
      // pack; the session is re-fetched from Stripe before anything is credited), else not ours.
      const isPack =
        session.mode === 'payment' && readObject(packMetadataSchema, object, type).metadata?.packId;
      return isPack
        ? { kind: 'pack-payment', sessionId: session.id }
        : { kind: 'nothing', isHandledType: true };
    }
    return {
      kind: 'sync',
      subscriptionId: session.subscriptionId,
      ownerHint:
        ownerOfReference(session.clientReferenceId) ??
        ownerOfMetadata({ accountId: session.metadataAccountId, userId: session.metadataUserId }),
      customerId: session.customerId,
    };
  }
  if (type.startsWith('invoice.')) {
    const invoice = parsePermanently(() => parseStripeInvoice(object));
    if (!invoice.subscriptionId) return { kind: 'nothing', isHandledType: true };
    return {
      kind: 'sync',
      subscriptionId: invoice.subscriptionId,
      ownerHint: null,
      customerId: invoice.customerId,
    };
  }
  const subscription = readObject(subscriptionIdSchema, object, type);
  return { kind: 'sync', subscriptionId: subscription.id, ownerHint: null, customerId: null };
}

/**
 * The invoice whose declined payment may undo a plan upgrade (see upgrade-rollback.ts): an
 * invoice.payment_failed for a subscription's `subscription_update` invoice (a change invoiced at once,
 * as the Customer Portal's always_invoice does). Which change it billed, and whether it is still
 * unpaid, is read from Stripe, not from this payload.
 */
export function declinedUpdateInvoiceOf(envelope: StripeEventEnvelope): string | null {
  if (envelope.type !== 'invoice.payment_failed') return null;
  const invoice = parsePermanently(() => parseStripeInvoice(envelope.object));
  return invoice.billingReason === 'subscription_update' && invoice.subscriptionId ? invoice.id : null;
}

function readObject<T>(schema: z.ZodType<T>, object: unknown, type: string): T {
  const result = schema.safeParse(object);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new PermanentWebhookError(
    'malformed_event',
    `Malformed Stripe ${type} object (${issues.slice(0, 5).join('; ')})`,
  );
}

const MAX_ID_LENGTH = 255;

/**
 * How a delivery is stored, read as leniently as possible: an envelope that doesn't parse is stored
 * too (as a failure), under its own id when it has a usable one, else under a digest of its bytes, so a
 * duplicate of it is still recognized.
 */
export function recordOf(json: unknown, rawBody: Buffer | string, receivedAt: Date): RecordEventInput {
  const envelope = isRecord(json) ? json : {};
  const data = isRecord(envelope['data']) ? envelope['data'] : {};
  const object = isRecord(data['object']) ? data['object'] : {};
  const created = envelope['created'];
  const createdAt =
    typeof created === 'number' && Number.isInteger(created) && created >= 0
      ? new Date(created * 1000)
      : null;
  return {
    id: usableString(envelope['id']) ?? `unreadable_${digest(rawBody)}`,
    type: usableString(envelope['type']) ?? 'unknown',
    stripeCreatedAt: createdAt && !Number.isNaN(createdAt.getTime()) ? createdAt : receivedAt,
    objectId: usableString(object['id']),
  };
}

/** An id or type Tollgate can store and show: not empty, bounded, no NUL (PostgreSQL text can't hold it). */
export function usableString(value: unknown): string | null {
  return typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_ID_LENGTH &&
    !value.includes('\0')
    ? value
    : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function digest(rawBody: Buffer | string): string {
  return createHash('sha256').update(rawBody).digest('hex').slice(0, 40);
}
