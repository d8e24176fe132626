import {
  appendAudit,
  DEFAULT_GRANT_PRIORITY,
  findOperatorGrantByKey,
  insertOperatorGrant,
  lockUserRow,
  type CreditGrantRow,
  type Database,
} from '@tollgate/db';
import { AppError, MAX_RUN_UNITS } from '@tollgate/domain';
import { requireSupportDailyRoom } from './support-daily-bound';

export interface GrantCreditsInput {
  accountId: string;
  units: number;
  /** Default: now. */
  startsAt?: Date;
  /** Null: never expires. */
  expiresAt: Date | null;
  priority?: number;
  reason: string;
  /** Who grants (an operator's user id, or "cli"). */
  grantedBy: string;
  /** Their platform role (`operator`, `support`, or `cli`) and request, for the audit row. */
  grantedAs?: { role: string; requestId: string | null };
  /**
   * The most runs `grantedBy` may grant over a rolling day, this grant included (support's bound;
   * operators have none). Counted from their audit rows under their user row's lock: exact even when
   * two grants race.
   */
  dailyLimit?: number;
  /** The caller's key for this grant (the console makes one per dialog): a retry grants once. */
  idempotencyKey?: string;
}

/**
 * An operator's grant of runs with its audit row, in one transaction: the console's procedure and the
 * credits CLI both grant through here, so no grant goes unaudited. With an idempotency key, a retry
 * (an answer lost to a dropped connection, a double click) gets the grant made the first time instead
 * of a second one; the same key for another grant is refused (409), as a reused run id is.
 * `isNew` false: that earlier grant, as stored.
 */
export async function recordOperatorGrant(
  db: Database,
  input: GrantCreditsInput,
  now: () => Date,
): Promise<{ isNew: boolean; grant: CreditGrantRow }> {
  const startsAt = input.startsAt ?? now();
  if (!Number.isSafeInteger(input.units) || input.units < 1 || input.units > MAX_RUN_UNITS * 100) {
    throw new AppError('BAD_REQUEST', `units must be a whole number from 1 to ${MAX_RUN_UNITS * 100}`);
  }
  if (input.expiresAt && input.expiresAt.getTime() <= startsAt.getTime()) {
    throw new AppError('BAD_REQUEST', 'expiresAt must be after startsAt');
  }
  const reason = input.reason.trim();
  if (reason.length === 0) throw new AppError('BAD_REQUEST', 'a reason is required');
  const key = input.idempotencyKey;
  const replay = (stored: CreditGrantRow) => {
    if (!isSameGrant(stored, { ...input, reason })) {
      throw new AppError('CONFLICT', 'This idempotencyKey was used for another grant: send a new key');
    }
    return { isNew: false, grant: stored };
  };
  return db.transaction(async (tx) => {
    // Support's grants hold the granter's row lock before the key is looked up: a retry racing its
    // original waits for it and finds its grant, instead of counting it against the daily bound.
    if (input.dailyLimit !== undefined) await lockUserRow(tx, input.grantedBy);
    // A retry is answered before the daily bound is counted: the grant it repeats is counted already.
    const earlier = key === undefined ? null : await findOperatorGrantByKey(tx, input.accountId, key);
    if (earlier) return replay(earlier);
    if (input.dailyLimit !== undefined) {
      await requireSupportDailyRoom(tx, {
        actorUserId: input.grantedBy,
        units: input.units,
        limit: input.dailyLimit,
        at: now(),
      });
    }
    const inserted = await insertOperatorGrant(tx, { ...input, startsAt, reason });
    // A concurrent retry with the same key committed first.
    if (!inserted.isNew) return replay(inserted.grant);
    const row = inserted.grant;
    await appendAudit(tx, {
      actorUserId: input.grantedBy,
      actorRole: input.grantedAs?.role ?? 'cli',
      action: 'grant_credits',
      accountId: input.accountId,
      before: null,
      after: { grantId: row.id, units: row.units, expiresAt: row.expiresAt, priority: row.priority },
      reason,
      requestId: input.grantedAs?.requestId ?? null,
      at: now(),
    });
    return { isNew: true, grant: row };
  });
}

/** Whether a stored grant is the one `input` asks for (its start aside: a retry comes later). */
function isSameGrant(stored: CreditGrantRow, input: GrantCreditsInput): boolean {
  return (
    stored.units === input.units &&
    stored.grantedBy === input.grantedBy &&
    stored.reason === input.reason &&
    stored.priority === (input.priority ?? DEFAULT_GRANT_PRIORITY) &&
    (stored.expiresAt?.getTime() ?? null) === (input.expiresAt?.getTime() ?? null)
  );
}
