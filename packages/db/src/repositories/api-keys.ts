import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../database';
import { isUuid } from '../ids';
import { apiKeys } from '../schema';
import type { ApiKeyRow, PlatformRole } from '../schema';

// Two kinds of service API keys: platform keys (account_id null), made by operators, act for any
// account; account keys (account_id set), made by an account's owners and admins, act only for it.
// Listing and revoking are scoped by that column: `null` means the platform's keys.

export interface InsertApiKeyInput {
  name: string;
  prefix: string;
  keyHash: string;
  scopes: string[];
  createdByUserId: string;
  /** null: a platform key. */
  accountId?: string | null;
  now?: Date;
}

export async function insertApiKey(db: Database, input: InsertApiKeyInput): Promise<ApiKeyRow> {
  const [row] = await db
    .insert(apiKeys)
    .values({
      name: input.name,
      prefix: input.prefix,
      keyHash: input.keyHash,
      scopes: input.scopes,
      createdByUserId: input.createdByUserId,
      accountId: input.accountId ?? null,
      ...(input.now ? { createdAt: input.now } : {}),
    })
    .returning();
  if (!row) throw new Error('insertApiKey: insert returned no row');
  return row;
}

/** The key with this hash, unless it was revoked. */
export async function findActiveApiKeyByHash(db: Database, keyHash: string): Promise<ApiKeyRow | null> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
    .limit(1);
  return row ?? null;
}

/** The platform's keys (accountId null) or one account's, newest first, revoked ones included. */
export async function listApiKeys(db: Database, accountId: string | null = null): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(ownedBy(accountId))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
}

/**
 * true when this call revoked the key; false when it doesn't exist, was already revoked, or belongs to
 * someone else (another account's key, or a platform key asked for through an account).
 */
export async function revokeApiKey(
  db: Database,
  id: string,
  now: Date = new Date(),
  accountId: string | null = null,
): Promise<boolean> {
  if (!isUuid(id)) return false;
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt), ownedBy(accountId)))
    .returning({ id: apiKeys.id });
  return revoked.length > 0;
}

/**
 * Whether this platform role may make platform keys, of any scope: only an operator may (`apiKeys.*` are
 * operator procedures; support reads and grants bounded runs, but makes no keys).
 */
export function canMakePlatformKeys(role: PlatformRole | null): boolean {
  return role === 'operator';
}

/**
 * A platform key works only while its maker could still make it: the platform keys `userId` made are
 * revoked when `role` (their platform role from now on; null: none) could not make them. Runs in the
 * role change's transaction, so no call through such a key succeeds once the change commits. Answers
 * the ids it revoked, for the change's audit row.
 */
export async function revokePlatformKeysBeyondRole(
  tx: Database,
  input: { userId: string; role: PlatformRole | null; now: Date },
): Promise<string[]> {
  if (canMakePlatformKeys(input.role)) return [];
  const revoked = await tx
    .update(apiKeys)
    .set({ revokedAt: input.now })
    .where(
      and(isNull(apiKeys.accountId), eq(apiKeys.createdByUserId, input.userId), isNull(apiKeys.revokedAt)),
    )
    .returning({ id: apiKeys.id });
  return revoked.map((row) => row.id).sort();
}

export async function touchLastUsed(db: Database, id: string, now: Date = new Date()): Promise<void> {
  if (!isUuid(id)) return;
  await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, id));
}

function ownedBy(accountId: string | null) {
  return accountId === null ? isNull(apiKeys.accountId) : eq(apiKeys.accountId, accountId);
}
