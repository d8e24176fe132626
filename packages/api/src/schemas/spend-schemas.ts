import { RUN_PACK_IDS } from '@tollgate/domain';
import { z } from 'zod';
import { isoDateTime } from './wire-date';

/** The most a cap may say: $1,000,000 or 10,000,000 runs a month (a bound, so a typo can't overflow). */
export const MAX_CAP_CENTS = 100_000_000;
export const MAX_CAP_RUNS = 10_000_000;

/** A spend cap as the API takes and gives it (tax excluded). */
export const spendCapSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('money'),
    cents: z.number().int().min(0).max(MAX_CAP_CENTS).describe('Whole cents, tax excluded'),
  }),
  z.object({ kind: z.literal('runs'), runs: z.number().int().min(0).max(MAX_CAP_RUNS) }),
]);

export const autoTopUpInputSchema = z.object({
  threshold: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .describe('Buy when the spendable balance falls below this'),
  packId: z.enum(RUN_PACK_IDS),
  monthlyLimit: z.number().int().min(1).max(31).describe('Purchases per calendar month (UTC) at most'),
});

/** `billing.updateSpendSettings`: each field left out stays as it is; null clears it. */
export const spendSettingsInputSchema = z.object({
  overageEnabled: z.boolean().optional(),
  cap: spendCapSchema.nullable().optional(),
  autoTopUp: autoTopUpInputSchema.nullable().optional(),
});

/** `billing.spendSettings`: overage, caps, this period's spend and its forecast, auto top-up. */
export const spendOverviewSchema = z.object({
  overage: z.object({
    enabled: z.boolean(),
    /** The plan bills overage and Stripe has the meter: overage can be turned on. */
    isAvailable: z.boolean(),
    unavailableReason: z.string().nullable(),
    unitAmountDecimal: z.string().describe("Cents per overage run (Stripe's unit_amount_decimal)"),
    currency: z.literal('usd'),
  }),
  cap: spendCapSchema.nullable(),
  operatorCap: spendCapSchema.nullable(),
  effectiveCap: z
    .object({ runs: z.number().int(), setBy: z.enum(['account', 'operator']) })
    .nullable()
    .describe('The stricter cap, in overage runs'),
  period: z.object({ start: isoDateTime, end: isoDateTime }),
  overageRuns: z.number().int().describe('Overage runs this period'),
  spentCents: z.number().int().describe('What they cost, tax excluded'),
  forecast: z
    .object({ cents: z.number().int(), by: isoDateTime })
    .nullable()
    .describe('At this pace, the overage cost by the end of the period'),
  autoTopUp: z.object({
    enabled: z.boolean(),
    threshold: z.number().int().nullable(),
    packId: z.enum(RUN_PACK_IDS).nullable(),
    monthlyLimit: z.number().int().nullable(),
    purchasesThisMonth: z.number().int(),
    backoffUntil: isoDateTime.nullable(),
    lastFailure: z.string().nullable(),
  }),
});

export type SpendOverview = z.input<typeof spendOverviewSchema>;
export type SpendSettingsInput = z.infer<typeof spendSettingsInputSchema>;
export type SpendCapInput = z.infer<typeof spendCapSchema>;
