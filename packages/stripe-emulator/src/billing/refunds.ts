import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import { previousAttributes } from '../diff';
import { invalidRequest } from '../errors';
import type { Moment } from '../events';
import { newId } from '../ids';
import { refundableAmount } from '../objects/charge';
import { formatMoney } from '../objects/money';
import { disputesOfCharge } from './disputes';
import { acquirerReferenceNumber, buildRefund } from '../objects/refund';
import type { RefundReason } from '../objects/refund';
import { wireCopy } from '../store';

/**
 * Stripe learns a card refund's acquirer reference number from the network later (days in live mode)
 * and then sends charge.refund.updated and refund.updated. The emulator does so one minute of emulator
 * time after the refund: advance the clock to see it.
 */
export const REFUND_REFERENCE_DELAY_SECONDS = 60;

export interface RefundRequest {
  charge: Stripe.Charge;
  /** null: everything not refunded yet. */
  amount: number | null;
  reason: RefundReason | null;
  metadata: Record<string, string>;
}

function refusal(message: string, param: string, code: string): never {
  throw invalidRequest(message, param, code);
}

/** A dispute took the money back (a chargeback the merchant has not won): nothing is left to refund. */
function isChargedBack(ctx: EmulatorContext, charge: Stripe.Charge): boolean {
  return disputesOfCharge(ctx, charge.id).some(
    (dispute) => !dispute.is_charge_refundable && dispute.status !== 'won',
  );
}

/**
 * The amount to refund, or Stripe's refusal: only succeeded charges not charged back, never more than
 * what's left.
 */
function refundAmount(ctx: EmulatorContext, request: RefundRequest): number {
  const { charge } = request;
  if (charge.refunded) {
    refusal(`Charge ${charge.id} has already been refunded.`, 'charge', 'charge_already_refunded');
  }
  if (isChargedBack(ctx, charge)) {
    refusal(`Charge ${charge.id} has been charged back; cannot issue a refund.`, 'charge', 'charge_disputed');
  }
  if (charge.status !== 'succeeded') {
    refusal(
      `Charge ${charge.id} has a status of ${charge.status} and can't be refunded.`,
      'charge',
      'charge_not_refundable',
    );
  }
  const remaining = refundableAmount(charge);
  const amount = request.amount ?? remaining;
  if (amount > remaining) {
    const what = charge.amount_refunded === 0 ? 'charge amount' : 'unrefunded amount on charge';
    refusal(
      `Refund amount (${formatMoney(amount, charge.currency)}) is greater than ${what} (${formatMoney(remaining, charge.currency)})`,
      'amount',
      'amount_too_large',
    );
  }
  return amount;
}

/**
 * Refunds a charge, fully or in part. The charge keeps the cumulative amount_refunded and becomes
 * `refunded` once nothing is left. Emits charge.refunded (with previous_attributes) then
 * refund.created, as Stripe does for card refunds (both since API 2024-10-28).
 */
export function refundCharge(ctx: EmulatorContext, request: RefundRequest, moment: Moment): Stripe.Refund {
  const amount = refundAmount(ctx, request);
  const { charge } = request;
  const before = wireCopy(charge);
  const refund = buildRefund({
    id: newId('re'),
    created: moment.at,
    charge,
    amount,
    reason: request.reason,
    metadata: request.metadata,
  });
  ctx.store.refunds.set(refund.id, refund);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount_captured;
  ctx.events.emit('charge.refunded', charge, moment, previousAttributes(before, charge));
  ctx.events.emit('refund.created', refund, moment);
  return refund;
}

/** Emits a refund's update under both names Stripe uses for card refunds. */
export function emitRefundUpdate(
  ctx: EmulatorContext,
  refund: Stripe.Refund,
  before: Stripe.Refund,
  moment: Moment,
): void {
  const previous = previousAttributes(before, refund);
  if (!previous) return;
  ctx.events.emit('charge.refund.updated', refund, moment, previous);
  ctx.events.emit('refund.updated', refund, moment, previous);
}

/** When a card refund's reference becomes available, or null when it has one (or is no card refund). */
export function referenceDueAt(refund: Stripe.Refund): number | null {
  if (refund.destination_details?.card?.reference_status !== 'pending') return null;
  return refund.created + REFUND_REFERENCE_DELAY_SECONDS;
}

export function makeReferenceAvailable(ctx: EmulatorContext, refund: Stripe.Refund, moment: Moment): void {
  const card = refund.destination_details?.card;
  if (!card) return;
  const before = wireCopy(refund);
  card.reference = acquirerReferenceNumber(refund.id);
  card.reference_status = 'available';
  emitRefundUpdate(ctx, refund, before, moment);
}
