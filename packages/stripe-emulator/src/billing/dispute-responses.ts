import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import { previousAttributes } from '../diff';
import { invalidRequest } from '../errors';
import type { Moment } from '../events';
import { newId } from '../ids';
import { EVIDENCE_FIELDS, disputeBalanceTransaction } from '../objects/dispute';
import type { DisputeOutcome } from '../store';
import { wireCopy } from '../store';

/**
 * Stripe's test-mode evidence: `uncategorized_text` = winning_evidence closes the dispute `won`,
 * losing_evidence `lost`. Stripe decides after the submission, not in its answer; the emulator does so
 * one minute of emulator time later (advance the clock to see it), like a refund's reference number.
 */
export const TEST_EVIDENCE: Readonly<Record<string, DisputeOutcome>> = {
  winning_evidence: 'won',
  losing_evidence: 'lost',
};
export const DISPUTE_DECISION_DELAY_SECONDS = 60;

/** Evidence may be staged and submitted while the dispute waits for the merchant's answer. */
const AWAITING_RESPONSE: readonly string[] = ['needs_response', 'warning_needs_response'];
const SUBMITTED_STATUS: Record<string, Stripe.Dispute.Status> = {
  needs_response: 'under_review',
  warning_needs_response: 'warning_under_review',
};

export interface DisputeUpdate {
  /** Field → text (or file id); null unsets it. */
  evidence: Record<string, string | null> | null;
  metadata: Record<string, string> | null;
  /** Stripe's default: an update that sends evidence submits it; submit=false only stages it. */
  submit: boolean | null;
}

function emitUpdate(ctx: EmulatorContext, dispute: Stripe.Dispute, before: Stripe.Dispute, moment: Moment) {
  const previous = previousAttributes(before, dispute);
  if (previous) ctx.events.emit('charge.dispute.updated', dispute, moment, previous);
}

function submit(ctx: EmulatorContext, dispute: Stripe.Dispute, moment: Moment): void {
  dispute.status = SUBMITTED_STATUS[dispute.status] ?? dispute.status;
  dispute.evidence_details.submission_count += 1;
  dispute.evidence_details.submission_method = 'manual';
  const outcome = TEST_EVIDENCE[dispute.evidence.uncategorized_text ?? ''];
  if (outcome && dispute.status === 'under_review') {
    ctx.store.disputeDecisions.set(dispute.id, {
      at: moment.at + DISPUTE_DECISION_DELAY_SECONDS,
      outcome,
    });
  }
}

/**
 * POST /v1/disputes/:id: metadata at any time; evidence (staged, or submitted: `under_review`) only
 * while the dispute waits for an answer. Emits charge.dispute.updated when anything changed.
 */
export function updateDispute(
  ctx: EmulatorContext,
  dispute: Stripe.Dispute,
  update: DisputeUpdate,
  moment: Moment,
): void {
  const isSubmitting = update.submit ?? update.evidence !== null;
  if ((update.evidence !== null || isSubmitting) && !AWAITING_RESPONSE.includes(dispute.status)) {
    throw invalidRequest(
      `This dispute is ${dispute.status}: its evidence can only be changed while it needs a response.`,
      'evidence',
    );
  }
  const before = wireCopy(dispute);
  if (update.metadata) dispute.metadata = update.metadata;
  if (update.evidence) {
    const evidence = dispute.evidence as unknown as Record<string, string | null>;
    for (const [field, value] of Object.entries(update.evidence)) evidence[field] = value;
    dispute.evidence_details.has_evidence = EVIDENCE_FIELDS.some((field) => evidence[field] != null);
  }
  if (isSubmitting) submit(ctx, dispute, moment);
  emitUpdate(ctx, dispute, before, moment);
}

/** POST /v1/disputes/:id/close: the merchant accepts the dispute, which is lost (charge.dispute.closed). */
export function closeDispute(ctx: EmulatorContext, dispute: Stripe.Dispute, moment: Moment): void {
  if (dispute.status !== 'needs_response') {
    throw invalidRequest(
      `This dispute is ${dispute.status}: only a dispute that needs a response can be closed.`,
      'dispute',
    );
  }
  dispute.status = 'lost';
  ctx.events.emit('charge.dispute.closed', dispute, moment);
}

/**
 * The bank decides a submitted dispute: lost (charge.dispute.closed), or won (charge.dispute.closed,
 * then charge.dispute.funds_reinstated with the amount given back; the dispute fee stays withdrawn).
 */
export function decideDispute(
  ctx: EmulatorContext,
  dispute: Stripe.Dispute,
  outcome: DisputeOutcome,
  moment: Moment,
): void {
  ctx.store.disputeDecisions.delete(dispute.id);
  if (dispute.status !== 'under_review') return;
  dispute.status = outcome;
  if (outcome === 'lost') {
    ctx.events.emit('charge.dispute.closed', dispute, moment);
    return;
  }
  dispute.balance_transactions.push(
    disputeBalanceTransaction(dispute, newId('txn'), 'reinstatement', moment.at),
  );
  ctx.events.emit('charge.dispute.closed', dispute, moment);
  ctx.events.emit('charge.dispute.funds_reinstated', dispute, moment);
}
