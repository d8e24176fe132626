import { CREDIT_GRANT_SOURCES } from '@tollgate/db';
import { planIdSchema, RUN_PACK_IDS } from '@tollgate/domain';
import { z } from 'zod';
import { isoDateTime } from './wire-date';

/** One credit grant as the account sees it (a pack, or an operator's grant). */
export const creditGrantViewSchema = z.object({
  id: z.string(),
  source: z.enum(CREDIT_GRANT_SOURCES),
  packId: z.enum(RUN_PACK_IDS).nullable(),
  name: z.string(),
  units: z.number().int(),
  remaining: z.number().int(),
  startsAt: isoDateTime,
  expiresAt: isoDateTime.nullable(),
  createdAt: isoDateTime,
  expiredUnits: z.number().int().describe('Units that expired unspent (recorded, not dropped)'),
  clawbackUnits: z
    .number()
    .int()
    .describe('Units a refund or chargeback takes back: ⌈units × min(paid, refunded + disputed) ÷ paid⌉'),
  clawedBackUnits: z.number().int().describe('Of those, units removed so far (spent runs stay spent)'),
  amountPaidCents: z.number().int().nullable(),
  amountRefundedCents: z.number().int(),
  amountDisputedCents: z
    .number()
    .int()
    .describe('Charged back: what disputes of the payment not won by the merchant hold'),
  reason: z.string().nullable(),
  isSpendable: z.boolean().describe('Started, not expired, and holding units'),
});

/** `usage.balance`: everything the account can spend, bucket by bucket, in the order it is drawn. */
export const balanceSchema = z.object({
  unit: z.object({ singular: z.string(), plural: z.string() }),
  allowance: z.object({
    plan: planIdSchema,
    used: z.number().int(),
    limit: z.number().int(),
    remaining: z.number().int(),
    periodStart: isoDateTime,
    periodEnd: isoDateTime,
  }),
  grants: z.array(creditGrantViewSchema),
  creditsRemaining: z.number().int(),
  totalRemaining: z.number().int().describe('0 when the account is blocked (e.g. past due after grace)'),
  drawOrder: z.string(),
});

export type BalanceView = z.input<typeof balanceSchema>;
export type CreditGrantView = z.input<typeof creditGrantViewSchema>;
