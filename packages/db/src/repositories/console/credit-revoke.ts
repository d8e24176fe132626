import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../database';
import { queryRows } from '../../raw-query';
import { creditGrants, type CreditGrantRow } from '../../schema';

export type CreditRevokeOutcome =
  | { kind: 'revoked'; before: CreditGrantRow; after: CreditGrantRow; removedNow: number }
  | { kind: 'not_found' }
  | { kind: 'nothing_left'; grant: CreditGrantRow };

/**
 * An operator takes back what a grant still holds, in the caller's transaction, under the grant's row
 * lock (the lock a reservation drawing from it takes too): `remaining` moves to clawed_back_units, so
 * the books still balance (units = remaining + drawn + expired + clawed back) and runs already spent
 * stay spent. The clawback target becomes everything not expired, so units a reserved run gives back
 * later (released, or settled below its estimate) are clawed back too instead of becoming spendable
 * again (returnRunUnits pays what is owed first). A grant holding nothing any more is `nothing_left`.
 */
export async function revokeCreditGrant(
  tx: Database,
  input: { accountId: string; grantId: string },
): Promise<CreditRevokeOutcome> {
  const [grant] = await tx
    .select()
    .from(creditGrants)
    .where(and(eq(creditGrants.accountId, input.accountId), eq(creditGrants.id, input.grantId)))
    .for('no key update');
  if (!grant) return { kind: 'not_found' };
  const target = grant.units - grant.expiredUnits;
  // Nothing to take and nothing that could still come back untaken (a second revoke, or a grant spent
  // by finished runs): nothing changes.
  if (
    grant.remaining === 0 &&
    (grant.clawbackUnits >= target || (await unitsHeldByOpenRuns(tx, grant)) === 0)
  ) {
    return { kind: 'nothing_left', grant };
  }
  const [after] = await tx
    .update(creditGrants)
    .set({
      remaining: 0,
      clawedBackUnits: sql`${creditGrants.clawedBackUnits} + ${creditGrants.remaining}`,
      clawbackUnits: sql`greatest(${creditGrants.clawbackUnits}, ${target}::int)`,
    })
    .where(and(eq(creditGrants.accountId, input.accountId), eq(creditGrants.id, input.grantId)))
    .returning();
  if (!after) return { kind: 'not_found' };
  return { kind: 'revoked', before: grant, after, removedNow: grant.remaining };
}

/** Units of the grant held by runs not finished yet (reserved or started): they may still come back. */
async function unitsHeldByOpenRuns(tx: Database, grant: CreditGrantRow): Promise<number> {
  const [row] = await queryRows<{ held: number | string | null }>(
    tx,
    sql`select coalesce(sum(d.units), 0) as held from run_draws d
      join usage_ledger l on l.account_id = d.account_id and l.run_id = d.run_id
      where d.account_id = ${grant.accountId} and d.grant_id = ${grant.id}
        and l.state in ('reserved', 'started')`,
  );
  return Number(row?.held ?? 0);
}
