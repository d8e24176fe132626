import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { isLeaseLive, isLeaseOver, leaseEndsAfter } from '../lease-clock';
import { queryRows } from '../raw-query';
import { emailOutbox } from '../schema';
import type { EmailOutboxRow } from '../schema';

export interface NewOutboxEmail {
  dedupeKey: string;
  accountId: string | null;
  userId: string | null;
  toAddress: string;
  kind: string;
  data: Record<string, unknown>;
  /** Not before (default: now). */
  nextAttemptAt?: Date;
}

/** Inserts what isn't there yet (by dedupe key); returns how many rows were new. */
export async function enqueueEmails(db: Database, emails: NewOutboxEmail[]): Promise<number> {
  if (emails.length === 0) return 0;
  const rows = await db
    .insert(emailOutbox)
    .values(emails)
    .onConflictDoNothing({ target: emailOutbox.dedupeKey })
    .returning({ id: emailOutbox.id });
  return rows.length;
}

export interface ClaimedEmail {
  id: number;
  dedupeKey: string;
  accountId: string | null;
  userId: string | null;
  toAddress: string;
  kind: string;
  data: Record<string, unknown> | null;
  /** The attempt this claim is (1 = first): the fence for marking the result. */
  attempts: number;
}

/**
 * Claims up to `limit` emails due by `now` (the app's clock, which tests move: a replica running ahead
 * sends a due email early, once) for `leaseMs` (the database's clock, see lease-clock): rows
 * locked by another claimer are skipped (SKIP LOCKED), rows leased by a live worker are not due, rows
 * whose lease expired (their worker died mid-send) are. One statement: the lease is committed before
 * anything is sent.
 */
export async function claimDueEmails(
  db: Database,
  options: { now: Date; limit: number; leaseMs: number },
): Promise<ClaimedEmail[]> {
  const rows = await queryRows<{
    id: string | number;
    dedupe_key: string;
    account_id: string | null;
    user_id: string | null;
    to_address: string;
    kind: string;
    data: Record<string, unknown> | null;
    attempts: number;
  }>(
    db,
    sql`update email_outbox set lease_until = ${leaseEndsAfter(options.leaseMs)}, attempts = attempts + 1
        where id in (
          select id from email_outbox
          where status = 'pending' and next_attempt_at <= ${options.now.toISOString()}::timestamptz
            and ${isLeaseOver(sql`lease_until`)}
          order by next_attempt_at, id
          limit ${options.limit}
          for update skip locked)
        returning id, dedupe_key, account_id, user_id, to_address, kind, data, attempts`,
  );
  return rows
    .map((row) => ({
      id: Number(row.id),
      dedupeKey: row.dedupe_key,
      accountId: row.account_id,
      userId: row.user_id,
      toAddress: row.to_address,
      kind: row.kind,
      data: row.data,
      attempts: row.attempts,
    }))
    .sort((a, b) => a.id - b.id);
}

/**
 * Renews a claim's lease for `leaseMs` just before its email is sent, fenced like a finish: false when
 * the claim was lost (its lease expired, on the database's clock, and another worker claimed the row),
 * and the email must not be sent. A batch whose earlier sends were slow thus never sends a row someone
 * else now holds.
 */
export async function renewEmailLease(
  db: Database,
  claim: Pick<ClaimedEmail, 'id' | 'attempts'>,
  leaseMs: number,
): Promise<boolean> {
  const rows = await db
    .update(emailOutbox)
    .set({ leaseUntil: leaseEndsAfter(leaseMs) })
    .where(
      and(
        eq(emailOutbox.id, claim.id),
        eq(emailOutbox.attempts, claim.attempts),
        eq(emailOutbox.status, 'pending'),
        isLeaseLive(emailOutbox.leaseUntil),
      ),
    )
    .returning({ id: emailOutbox.id });
  return rows.length > 0;
}

/**
 * Records the outcome of a claimed attempt. Fenced by the attempt number: a worker whose lease expired
 * and was claimed again can't overwrite the newer claim's result. `eraseData` drops secrets (links with
 * tokens) once the email has left or will never leave.
 */
export async function finishEmailAttempt(
  db: Database,
  claim: Pick<ClaimedEmail, 'id' | 'attempts'>,
  outcome:
    | { status: 'sent'; at: Date; eraseData: boolean }
    | { status: 'failed' | 'skipped'; at: Date; error: string; eraseData: boolean }
    | { status: 'retry'; at: Date; nextAttemptAt: Date; error: string },
): Promise<boolean> {
  const fence = and(eq(emailOutbox.id, claim.id), eq(emailOutbox.attempts, claim.attempts));
  const changes =
    outcome.status === 'sent'
      ? {
          status: 'sent' as const,
          sentAt: outcome.at,
          leaseUntil: null,
          lastError: null,
          ...(outcome.eraseData ? { data: null } : {}),
        }
      : outcome.status === 'retry'
        ? { leaseUntil: null, nextAttemptAt: outcome.nextAttemptAt, lastError: outcome.error }
        : {
            status: outcome.status,
            leaseUntil: null,
            lastError: outcome.error,
            ...(outcome.eraseData ? { data: null } : {}),
          };
  const rows = await db
    .update(emailOutbox)
    .set(changes)
    .where(and(fence, eq(emailOutbox.status, 'pending')))
    .returning({ id: emailOutbox.id });
  return rows.length > 0;
}

export async function listOutboxEmails(db: Database): Promise<EmailOutboxRow[]> {
  return db.select().from(emailOutbox).orderBy(emailOutbox.id);
}

/** Pending rows and the age of the oldest due one (health and metrics). */
export async function outboxBacklog(
  db: Database,
  now: Date,
): Promise<{ pending: number; oldestDueAt: Date | null }> {
  const [row] = await queryRows<{ pending: string | number; oldest: string | Date | null }>(
    db,
    sql`select count(*) as pending, min(next_attempt_at) filter (where next_attempt_at <= ${now.toISOString()}::timestamptz) as oldest
        from email_outbox where status = 'pending'`,
  );
  return {
    pending: Number(row?.pending ?? 0),
    oldestDueAt: row?.oldest ? new Date(row.oldest) : null,
  };
}
