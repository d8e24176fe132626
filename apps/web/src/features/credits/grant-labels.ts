import { formatPrice } from '@tollgate/domain';
import type { BadgeTone } from '../billing/plan-labels';
import { formatCount, formatMoney, formatUtcDate, pluralize } from '../../lib/format';
import type { CreditBalance, CreditGrant } from './credits.api';

export type UsageUnit = CreditBalance['unit'];

export interface GrantBadge {
  label: string;
  tone: BadgeTone;
}

const isPast = (value: string | null, now: Date) => value !== null && new Date(value) <= now;

export function unitsText(count: number, unit: UsageUnit): string {
  return pluralize(count, unit.singular, unit.plural);
}

/** "93 of 100 runs left". */
export function remainingText(grant: CreditGrant, unit: UsageUnit): string {
  return `${formatCount(grant.remaining)} of ${unitsText(grant.units, unit)} left`;
}

/** One word for where the grant stands: what is spendable now, and why the rest is not. */
export function grantBadge(grant: CreditGrant, now = new Date()): GrantBadge {
  if (grant.isSpendable) return { label: 'Active', tone: 'success' };
  if (isPast(grant.expiresAt, now)) return { label: 'Expired', tone: 'neutral' };
  if (!isPast(grant.startsAt, now)) return { label: 'Not started', tone: 'info' };
  if (grant.clawedBackUnits > 0 && grant.clawedBackUnits >= grant.units) {
    return { label: grant.amountDisputedCents > 0 ? 'Charged back' : 'Refunded', tone: 'warning' };
  }
  return { label: 'Used up', tone: 'neutral' };
}

/**
 * How far the server's clock (which dates a grant's start) may run ahead of the reader's before a grant
 * made just now reads as starting later: a pack bought a second ago must not say "Starts today".
 */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Expiry dates are UTC calendar dates (a pack lasts 12 months from purchase, UTC). */
export function expiryText(grant: CreditGrant, now = new Date()): string {
  const isStarted = isPast(grant.startsAt, new Date(now.getTime() + CLOCK_SKEW_MS));
  const starts = isStarted ? '' : `Starts ${formatUtcDate(grant.startsAt)} · `;
  if (grant.expiresAt === null) return `${starts}Never expires`;
  const verb = isPast(grant.expiresAt, now) ? 'Expired' : 'Expires';
  return `${starts}${verb} ${formatUtcDate(grant.expiresAt)} (UTC)`;
}

/** "Bought March 1, 2026 for $10", or for an operator's grant when it was made. */
export function originText(grant: CreditGrant): string {
  const date = formatUtcDate(grant.createdAt);
  if (grant.source === 'operator') return `Granted ${date}`;
  const paid = grant.amountPaidCents === null ? '' : ` for ${formatPrice(grant.amountPaidCents)}`;
  return `Bought ${date}${paid}`;
}

/**
 * Why a grant holds fewer units than it was given, besides runs: a refund or a chargeback (a dispute
 * of the payment with the bank) took some back, or they expired unused; and an operator's reason for
 * the grant.
 */
export function grantNotes(grant: CreditGrant, unit: UsageUnit): string[] {
  const notes: string[] = [];
  const takenBack = [
    grant.amountRefundedCents > 0 ? `Refunded ${formatMoney(grant.amountRefundedCents, 'usd')}` : null,
    grant.amountDisputedCents > 0 ? `charged back ${formatMoney(grant.amountDisputedCents, 'usd')}` : null,
  ].filter((part) => part !== null);
  if (takenBack.length > 0) {
    const what = takenBack.join(' and ');
    // Runs already spent stay spent: a refund or chargeback removes only what was still there.
    const spent = grant.clawbackUnits - grant.clawedBackUnits;
    const alreadyUsed = spent > 0 ? ` (${formatCount(spent)} already used)` : '';
    const removed = `${unitsText(grant.clawedBackUnits, unit)} removed${alreadyUsed}`;
    notes.push(`${what.charAt(0).toUpperCase()}${what.slice(1)}: ${removed}`);
  }
  if (grant.expiredUnits > 0) notes.push(`Expired: ${unitsText(grant.expiredUnits, unit)} unused`);
  if (grant.source === 'operator' && grant.reason) notes.push(grant.reason);
  return notes;
}
