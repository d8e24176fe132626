import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../database';
import { isUuid } from '../ids';
import { refreshTokens } from '../schema';
import type { RefreshTokenRow } from '../schema';

export interface InsertRefreshTokenInput {
  /** Optional so a rotation can name the successor before inserting it. */
  id?: string;
  userId: string;
  tokenHash: string;
  familyId: string;
  expiresAt: Date;
  now?: Date;
}

export async function insertRefreshToken(
  db: Database,
  input: InsertRefreshTokenInput,
): Promise<RefreshTokenRow> {
  const [row] = await db
    .insert(refreshTokens)
    .values({
      ...(input.id ? { id: input.id } : {}),
      userId: input.userId,
      tokenHash: input.tokenHash,
      familyId: input.familyId,
      expiresAt: input.expiresAt,
      ...(input.now ? { createdAt: input.now } : {}),
    })
    .returning();
  if (!row) throw new Error('insertRefreshToken: insert returned no row');
  return row;
}

/** Revoked and expired tokens are returned too: the caller needs them to detect reuse. */
export async function findRefreshTokenByHash(
  db: Database,
  tokenHash: string,
): Promise<RefreshTokenRow | null> {
  const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).limit(1);
  return row ?? null;
}

/** A token by id (its successor, named by `replaced_by_id`), revoked or not. */
export async function findRefreshTokenById(db: Database, id: string): Promise<RefreshTokenRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.id, id)).limit(1);
  return row ?? null;
}

/**
 * Conditional (… WHERE revoked_at IS NULL), so of two concurrent rotations of the same token exactly
 * one gets true; the loser must treat its token as reused. `isRetry`: rotated for a retry of its
 * predecessor, not by presenting it (refresh_tokens.revoked_by_retry).
 */
export async function revokeRefreshToken(
  db: Database,
  id: string,
  replacedById: string | null = null,
  now: Date = new Date(),
  isRetry = false,
): Promise<boolean> {
  if (!isUuid(id)) return false;
  const revoked = await db
    .update(refreshTokens)
    .set({ revokedAt: now, replacedById, revokedByRetry: isRetry })
    .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return revoked.length > 0;
}

/**
 * A token rotated for a retry was presented after all (the client had it): from now on a retry of
 * its predecessor stops at it, as at any token that was presented.
 */
export async function markRefreshTokenPresented(db: Database, id: string): Promise<void> {
  if (!isUuid(id)) return;
  await db.update(refreshTokens).set({ revokedByRetry: false }).where(eq(refreshTokens.id, id));
}

/** Revokes every still-active token of a login chain; returns how many were revoked. */
export async function revokeRefreshTokenFamily(
  db: Database,
  familyId: string,
  now: Date = new Date(),
): Promise<number> {
  if (!isUuid(familyId)) return 0;
  const revoked = await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return revoked.length;
}

export async function revokeAllRefreshTokensForUser(
  db: Database,
  userId: string,
  now: Date = new Date(),
): Promise<number> {
  const revoked = await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return revoked.length;
}

/**
 * Whether the login chain `familyId` of `userId` is still signed in: one of its tokens is not revoked.
 * A rotation revokes a token and inserts its successor in one transaction, so a live chain always has
 * one; a logout, a password reset and a detected reuse revoke them all. Expiry is not asked: an access
 * token (minutes) always ends before the refresh token issued with it (days).
 */
export async function isRefreshFamilyLive(db: Database, familyId: string, userId: string): Promise<boolean> {
  if (!isUuid(familyId)) return false;
  const [row] = await db
    .select({ id: refreshTokens.id })
    .from(refreshTokens)
    .where(
      and(
        eq(refreshTokens.familyId, familyId),
        eq(refreshTokens.userId, userId),
        isNull(refreshTokens.revokedAt),
      ),
    )
    .limit(1);
  return row !== undefined;
}
