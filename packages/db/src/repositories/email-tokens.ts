import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from '../database';
import { emailTokens, users } from '../schema';
import type { EmailTokenPurpose, EmailTokenRow } from '../schema';

export interface NewEmailToken {
  userId: string;
  purpose: EmailTokenPurpose;
  email: string;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
}

export async function insertEmailToken(db: Database, token: NewEmailToken): Promise<EmailTokenRow> {
  const [row] = await db.insert(emailTokens).values(token).returning();
  if (!row) throw new Error('insertEmailToken: insert returned no row');
  return row;
}

/**
 * Uses a link's token: one conditional UPDATE, so two clicks racing (or a replayed link) succeed once.
 * Null when the token is unknown, of another purpose, expired or already used.
 */
export async function consumeEmailToken(
  db: Database,
  purpose: EmailTokenPurpose,
  tokenHash: string,
  now: Date,
): Promise<EmailTokenRow | null> {
  const [row] = await db
    .update(emailTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(emailTokens.tokenHash, tokenHash),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, now),
      ),
    )
    .returning();
  return row ?? null;
}

/** The user a token of `purpose` was issued to, used or not (null: no such token). No lock taken. */
export async function findEmailTokenUserId(
  db: Database,
  purpose: EmailTokenPurpose,
  tokenHash: string,
): Promise<string | null> {
  const [row] = await db
    .select({ userId: emailTokens.userId })
    .from(emailTokens)
    .where(and(eq(emailTokens.tokenHash, tokenHash), eq(emailTokens.purpose, purpose)));
  return row?.userId ?? null;
}

/** Every unused token of `purpose` for the user stops working (a reset or a verification used one). */
export async function invalidateEmailTokens(
  db: Database,
  userId: string,
  purpose: EmailTokenPurpose,
  now: Date,
): Promise<void> {
  await db
    .update(emailTokens)
    .set({ usedAt: now })
    .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)));
}

/**
 * Marks the user's address verified, only if it is still the address the link was sent to. True when
 * this call verified it (false: already verified, or the address changed since).
 */
export async function markEmailVerified(
  db: Database,
  userId: string,
  email: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ emailVerifiedAt: now })
    .where(and(eq(users.id, userId), eq(users.email, email), isNull(users.emailVerifiedAt)))
    .returning({ id: users.id });
  return rows.length > 0;
}

export async function setPasswordHash(db: Database, userId: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.id, userId));
}
