import { z } from 'zod';
import { addMonthsClamped } from './usage-period';

/**
 * The unit an account spends. The built-in plans price in runs (one run = one unit); a deployment that
 * prices in credits changes this one place (and the plans' and packs' amounts), nothing else.
 */
export const USAGE_UNIT = Object.freeze({ singular: 'run', plural: 'runs' });

/** Units an authorization reserves when the caller gives no estimate: one run. */
export const DEFAULT_RUN_ESTIMATE = 1;
/** The largest estimate or actual one run may name (a bound, so a typo can't lock a whole balance). */
export const MAX_RUN_UNITS = 100_000;

export const RUN_PACK_IDS = ['PACK_100', 'PACK_1000'] as const;
export type RunPackId = (typeof RUN_PACK_IDS)[number];
export const runPackIdSchema = /* @__PURE__ */ z.enum(RUN_PACK_IDS);

/** Packs expire this many calendar months after purchase (UTC; Feb 29 → Feb 28). */
export const RUN_PACK_VALIDITY_MONTHS = 12;

export interface RunPackDefinition {
  id: RunPackId;
  name: string;
  /** Units credited on payment. */
  units: number;
  /** One-time price, tax excluded. */
  priceCents: number;
  currency: 'usd';
}

/** One-time packs, bought through Stripe Checkout in payment mode; spent after the plan's allowance. */
export const RUN_PACKS: Readonly<Record<RunPackId, RunPackDefinition>> = Object.freeze({
  PACK_100: { id: 'PACK_100', name: '100 runs', units: 100, priceCents: 1000, currency: 'usd' },
  PACK_1000: { id: 'PACK_1000', name: '1,000 runs', units: 1000, priceCents: 8000, currency: 'usd' },
});

export function getRunPack(id: RunPackId): RunPackDefinition {
  return RUN_PACKS[id];
}

export function isRunPackId(value: unknown): value is RunPackId {
  return typeof value === 'string' && (RUN_PACK_IDS as readonly string[]).includes(value);
}

/** When a pack bought at `purchasedAt` expires: 12 calendar months later, UTC. */
export function runPackExpiry(purchasedAt: Date): Date {
  return addMonthsClamped(purchasedAt, RUN_PACK_VALIDITY_MONTHS);
}

/**
 * Units a refund takes back from a pack: ⌈units × refunded ÷ paid⌉ of the charge's CUMULATIVE refunded
 * amount, so partial refunds delivered in any order converge to the same total. Integer arithmetic only.
 */
export function packClawbackUnits(units: number, amountPaid: number, amountRefunded: number): number {
  if (!Number.isSafeInteger(units) || units <= 0) throw new RangeError('units must be a positive integer');
  if (!Number.isSafeInteger(amountPaid) || amountPaid <= 0) throw new RangeError('amountPaid must be > 0');
  const refunded = Math.min(Math.max(0, Math.trunc(amountRefunded)), amountPaid);
  return Number((BigInt(units) * BigInt(refunded) + BigInt(amountPaid) - 1n) / BigInt(amountPaid));
}

/**
 * The order a run draws its units in, said once for the copy and the code: the plan's allowance for the
 * current period first, then grants by priority (smaller first), soonest expiry, then oldest.
 */
export const DRAW_ORDER_TEXT =
  "Runs come from your plan's allowance for this period first, then from packs and grants, those expiring soonest first.";
