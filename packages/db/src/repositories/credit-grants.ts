import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { creditGrants, DEFAULT_GRANT_PRIORITY, type CreditGrantRow } from '../schema';

export interface OperatorGrantInput {
  accountId: string;
  units: number;
  startsAt: Date;
  expiresAt: Date | null;
  priority?: number;
  grantedBy: string;
  reason: string;
  /** The caller's key for this grant: a second insert with it (a retry) inserts nothing. */
  idempotencyKey?: string | null;
}

/**
 * An operator's grant of units (support credit, a goodwill gesture, a promotion). `isNew` false: the
 * account already has the grant made with this idempotency key, returned as stored (whatever it holds).
 */
export async function insertOperatorGrant(
  db: Database,
  input: OperatorGrantInput,
): Promise<{ isNew: boolean; grant: CreditGrantRow }> {
  const idempotencyKey = input.idempotencyKey ?? null;
  const [row] = await db
    .insert(creditGrants)
    .values({
      accountId: input.accountId,
      source: 'operator',
      units: input.units,
      remaining: input.units,
      priority: input.priority ?? DEFAULT_GRANT_PRIORITY,
      startsAt: input.startsAt,
      expiresAt: input.expiresAt,
      grantedBy: input.grantedBy,
      reason: input.reason,
      idempotencyKey,
    })
    .onConflictDoNothing({ target: [creditGrants.accountId, creditGrants.idempotencyKey] })
    .returning();
  if (row) return { isNew: true, grant: row };
  // Only a key can conflict (NULLs never do); the other insert has committed, so this statement sees it.
  const stored =
    idempotencyKey === null ? null : await findOperatorGrantByKey(db, input.accountId, idempotencyKey);
  if (!stored) throw new Error('insertOperatorGrant: no row returned');
  return { isNew: false, grant: stored };
}

/** The account's operator grant made with this idempotency key, if any. */
export async function findOperatorGrantByKey(
  db: Database,
  accountId: string,
  idempotencyKey: string,
): Promise<CreditGrantRow | null> {
  const [row] = await db
    .select()
    .from(creditGrants)
    .where(and(eq(creditGrants.accountId, accountId), eq(creditGrants.idempotencyKey, idempotencyKey)));
  return row ?? null;
}

export interface PackPurchaseInput {
  accountId: string;
  packId: string;
  units: number;
  checkoutSessionId: string;
  paymentIntentId: string | null;
  amountPaidCents: number;
  currency: string;
  purchasedAt: Date;
  expiresAt: Date;
}

/**
 * Credits a paid pack once per Checkout Session, ever: a duplicated or reordered delivery finds the
 * grant there and changes nothing. `isNew` says whether this call credited it.
 */
export async function creditPackPurchase(
  db: Database,
  input: PackPurchaseInput,
): Promise<{ isNew: boolean; grant: CreditGrantRow | null }> {
  const [row] = await db
    .insert(creditGrants)
    .values({
      accountId: input.accountId,
      source: 'pack',
      packId: input.packId,
      units: input.units,
      remaining: input.units,
      startsAt: input.purchasedAt,
      expiresAt: input.expiresAt,
      checkoutSessionId: input.checkoutSessionId,
      paymentIntentId: input.paymentIntentId,
      amountPaidCents: input.amountPaidCents,
      currency: input.currency,
    })
    .onConflictDoNothing({ target: [creditGrants.accountId, creditGrants.checkoutSessionId] })
    .returning();
  if (row) return { isNew: true, grant: row };
  const [existing] = await db
    .select()
    .from(creditGrants)
    .where(
      and(
        eq(creditGrants.accountId, input.accountId),
        eq(creditGrants.checkoutSessionId, input.checkoutSessionId),
      ),
    );
  return { isNew: false, grant: existing ?? null };
}

/** An account's grants, spendable first (then newest), for the balance breakdown. */
export async function listCreditGrants(db: Database, accountId: string): Promise<CreditGrantRow[]> {
  return db
    .select()
    .from(creditGrants)
    .where(eq(creditGrants.accountId, accountId))
    .orderBy(
      desc(sql`${creditGrants.remaining} > 0`),
      asc(creditGrants.priority),
      desc(creditGrants.createdAt),
    );
}

/**
 * Moves what expired grants still hold to expired_units (breakage), at most `limit` grants: recorded,
 * never silently dropped. Rows are taken with SKIP LOCKED in one statement, so sweepers in several
 * processes never expire a unit twice and never wait behind a reservation holding a grant.
 */
export async function expireCreditGrants(
  db: Database,
  input: { now: Date; limit: number },
): Promise<Array<{ accountId: string; grantId: string; units: number }>> {
  const rows = await queryRows<{ account_id: string; id: string; units: number }>(
    db,
    sql`
      with due as (
        select account_id, id from credit_grants
        where remaining > 0 and expires_at is not null and expires_at <= ${input.now.toISOString()}::timestamptz
        order by account_id, id
        limit ${input.limit}
        for no key update skip locked
      ), before as (
        select g.account_id, g.id, g.remaining from credit_grants g join due using (account_id, id)
      )
      update credit_grants g set expired_units = g.expired_units + b.remaining, remaining = 0
      from before b where g.account_id = b.account_id and g.id = b.id
      returning g.account_id, g.id, b.remaining as units`,
  );
  return rows.map((row) => ({ accountId: row.account_id, grantId: row.id, units: Number(row.units) }));
}
