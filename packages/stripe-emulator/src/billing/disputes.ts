import type Stripe from 'stripe';
import { TEST_CARDS } from '../cards';
import { momentAt } from '../context';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import type { Moment } from '../events';
import { newId } from '../ids';
import { refundableAmount } from '../objects/charge';
import { buildDispute, disputeBalanceTransaction } from '../objects/dispute';
import { idOf } from '../objects/id-of';
import { getCharge } from './lookups';
import { processDue } from './renewals';

/** How a test opens a dispute on a charge (the control API and the in-process twin). */
export interface DisputeOptions {
  /** Default: all that is not refunded yet. */
  amount?: number;
  /** Stripe's reason (fraudulent, product_not_received, …). Default fraudulent. */
  reason?: string;
}

function refusal(message: string, param: string): never {
  throw invalidRequest(message, param);
}

/** The disputes of a charge, oldest first. */
export function disputesOfCharge(ctx: EmulatorContext, chargeId: string): Stripe.Dispute[] {
  return [...ctx.store.disputes.values()].filter((dispute) => idOf(dispute.charge) === chargeId);
}

/**
 * The cardholder's bank charges a card payment back: a `needs_response` dispute, the amount and the
 * dispute fee withdrawn at once (charge.dispute.created, then charge.dispute.funds_withdrawn), and the
 * charge `disputed`. Only succeeded card charges with something not refunded can be disputed, once.
 */
export function openDispute(
  ctx: EmulatorContext,
  charge: Stripe.Charge,
  options: DisputeOptions,
  moment: Moment,
): Stripe.Dispute {
  if (charge.status !== 'succeeded') {
    refusal(`Charge ${charge.id} has a status of ${charge.status} and can't be disputed.`, 'charge');
  }
  if (charge.payment_method_details?.type !== 'card') {
    refusal(`Charge ${charge.id} was not paid by card; the emulator disputes card payments only.`, 'charge');
  }
  if (disputesOfCharge(ctx, charge.id).length > 0) {
    refusal(`Charge ${charge.id} is already disputed.`, 'charge');
  }
  const disputable = refundableAmount(charge);
  const amount = options.amount ?? disputable;
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > disputable) {
    refusal(`The disputed amount must be between 1 and ${disputable} (what is not refunded).`, 'amount');
  }
  const dispute = buildDispute({
    id: newId('du'),
    created: moment.at,
    charge,
    amount,
    reason: options.reason ?? 'fraudulent',
  });
  dispute.balance_transactions.push(
    disputeBalanceTransaction(dispute, newId('txn'), 'withdrawal', moment.at),
  );
  ctx.store.disputes.set(dispute.id, dispute);
  charge.disputed = true;
  ctx.events.emit('charge.dispute.created', dispute, moment);
  ctx.events.emit('charge.dispute.funds_withdrawn', dispute, moment);
  return dispute;
}

/**
 * Stripe's test card 4000 0000 0000 0259 ("dispute: fraudulent"): the payment succeeds, then is
 * disputed as fraudulent right away. Called once the payment's own events are out.
 */
export function disputeIfTestCard(ctx: EmulatorContext, charge: Stripe.Charge, moment: Moment): void {
  const methodId = idOf(charge.payment_method);
  const number = methodId ? ctx.store.paymentMethods.get(methodId)?.number : undefined;
  if (number !== TEST_CARDS.disputed || charge.status !== 'succeeded') return;
  openDispute(ctx, charge, { reason: 'fraudulent' }, moment);
}

/** openDispute at the emulator's now, after whatever fell due (the control API and in-process). */
export function openDisputeByControl(
  ctx: EmulatorContext,
  chargeId: string,
  options: DisputeOptions = {},
): Stripe.Dispute {
  const now = ctx.clock.nowSeconds();
  processDue(ctx, now);
  return openDispute(ctx, getCharge(ctx, chargeId, 'charge'), options, momentAt(now));
}
