import * as zm from 'zod/mini';
import { DENIAL_CODES, type DenialCode } from './entitlement';
import { PLAN_IDS, type PlanId } from './plans';
import { RUN_PACK_IDS, RUN_PACKS, type RunPackId } from './run-packs';
import type { RunDenial } from './run-decision';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from './subscription-status';

/** The body of every HTTP 402: the server guard sends it, the SDK middleware and the web app read it. */
export interface PaymentRequiredBody {
  error: {
    code: DenialCode;
    message: string;
    plan: PlanId;
    status: SubscriptionStatus;
    used: number;
    limit: number;
    /** ISO 8601, UTC. */
    resetsAt: string;
    upgradeUrl: string;
    /**
     * Packs that would let runs through again (only when buying runs is an answer: the pool is used up,
     * not when the account is blocked or a member's cap is reached). Empty otherwise.
     */
    packs?: PackOffer[];
    /** Where the account buys a pack (null when no pack is offered). */
    buyRunsUrl?: string | null;
    /** SPEND_CAP_REACHED only: the cap, what was spent against it, and where to raise it. */
    spendCap?: SpendCapReached;
  };
}

/** The spend cap a SPEND_CAP_REACHED denial hit (amounts tax excluded). */
export interface SpendCapReached {
  /** Overage runs the cap allows this period. */
  capRuns: number;
  /** The cap in cents when it was set in money (null: set in runs). */
  capCents: number | null;
  /** Whose cap is the stricter one: the account's admins can raise only their own. */
  setBy: 'account' | 'operator';
  /** Overage runs used this period, and what they cost in cents. */
  overageRuns: number;
  spentCents: number;
  /** Where an owner or admin raises the cap. */
  raiseUrl: string;
}

/** One pack offered in a 402: what it costs and how many runs it would allow. */
export interface PackOffer {
  id: RunPackId;
  name: string;
  units: number;
  priceCents: number;
  currency: 'usd';
}

// zod/mini, not zod: this schema is the one the browser runs (the SDK reads 402 bodies with it), and
// mini's functions tree-shake where classic zod's methods can't (the end-user bundle's budget).
const count = () => zm.int().check(zm.nonnegative());
const nonEmptyText = () => zm.string().check(zm.minLength(1));

const packOfferSchema = zm.object({
  id: zm.enum(RUN_PACK_IDS),
  name: zm.string(),
  units: zm.int().check(zm.positive()),
  priceCents: count(),
  currency: zm.literal('usd'),
});

/** Denials a pack answers: the pool is used up, or the overage past it reached its cap. */
export function packOffersFor(code: DenialCode): PackOffer[] {
  if (code !== 'USAGE_LIMIT_REACHED' && code !== 'SPEND_CAP_REACHED') return [];
  return Object.values(RUN_PACKS).map(({ id, name, units, priceCents, currency }) => ({
    id,
    name,
    units,
    priceCents,
    currency,
  }));
}

export const paymentRequiredBodySchema: zm.ZodMiniType<PaymentRequiredBody> = zm.object({
  error: zm.object({
    code: zm.enum(DENIAL_CODES),
    message: zm.string(),
    plan: zm.enum(PLAN_IDS),
    status: zm.enum(SUBSCRIPTION_STATUSES),
    used: count(),
    limit: count(),
    resetsAt: zm.iso.datetime(),
    upgradeUrl: nonEmptyText(),
    packs: zm.optional(zm.array(packOfferSchema)),
    buyRunsUrl: zm.optional(zm.nullable(nonEmptyText())),
    spendCap: zm.optional(
      zm.object({
        capRuns: count(),
        capCents: zm.nullable(count()),
        setBy: zm.enum(['account', 'operator']),
        overageRuns: count(),
        spentCents: count(),
        raiseUrl: nonEmptyText(),
      }),
    ),
  }),
});

export function toPaymentRequiredBody(
  denial: RunDenial,
  upgradeUrl: string,
  buyRunsUrl: string | null = null,
  spendCap: SpendCapReached | null = null,
): PaymentRequiredBody {
  const packs = buyRunsUrl === null ? [] : packOffersFor(denial.code);
  return {
    error: {
      code: denial.code,
      message: denial.message,
      plan: denial.plan,
      status: denial.status,
      used: denial.used,
      limit: denial.limit,
      resetsAt: denial.resetsAt.toISOString(),
      upgradeUrl,
      packs,
      buyRunsUrl: packs.length > 0 ? buyRunsUrl : null,
      ...(spendCap ? { spendCap } : {}),
    },
  };
}
