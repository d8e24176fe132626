import type { PlanId } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { paymentRequiredDays } from '../schema';

export interface PaymentRequiredEntry {
  accountId: string;
  plan: PlanId;
  /** The 402's code (USAGE_LIMIT_REACHED, SPEND_CAP_REACHED, …). */
  code: string;
  at: Date;
}

/** Counts one authorization answered 402 on its account's UTC day (one upsert, no row per refusal). */
export async function recordPaymentRequired(db: Database, entry: PaymentRequiredEntry): Promise<void> {
  const day = entry.at.toISOString().slice(0, 10);
  await db
    .insert(paymentRequiredDays)
    .values({
      accountId: entry.accountId,
      day,
      plan: entry.plan,
      code: entry.code,
      denials: 1,
      firstAt: entry.at,
      lastAt: entry.at,
    })
    .onConflictDoUpdate({
      target: [
        paymentRequiredDays.accountId,
        paymentRequiredDays.day,
        paymentRequiredDays.plan,
        paymentRequiredDays.code,
      ],
      set: {
        denials: sql`${paymentRequiredDays.denials} + 1`,
        firstAt: sql`least(${paymentRequiredDays.firstAt}, excluded.first_at)`,
        lastAt: sql`greatest(${paymentRequiredDays.lastAt}, excluded.last_at)`,
      },
    });
}

export type PaymentRequiredDay = typeof paymentRequiredDays.$inferSelect;

/** Every day's count, oldest first (one account's when given). */
export async function listPaymentRequiredDays(
  db: Database,
  accountId?: string,
): Promise<PaymentRequiredDay[]> {
  return db
    .select()
    .from(paymentRequiredDays)
    .where(accountId === undefined ? undefined : sql`${paymentRequiredDays.accountId} = ${accountId}`)
    .orderBy(paymentRequiredDays.day);
}
