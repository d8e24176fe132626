import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../database';
import { isUuid } from '../ids';
import { apiKeys } from '../schema';
import type { ApiKeyRow } from '../schema';

// Service API keys are not tenant resources: they are created and managed by admins and may act for
// any user, so these functions are not scoped by user.

export interface InsertApiKeyInput {
  name: string;
  prefix: string;
  keyHash: string;
  scopes: string[];
  createdByUserId: string;
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

/** Every key, newest first, revoked ones included (admins see the history). */
export async function listApiKeys(db: Database): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
}

/** true when this call revoked the key; false when it doesn't exist or was already revoked. */
export async function revokeApiKey(db: Database, id: string, now: Date = new Date()): Promise<boolean> {
  if (!isUuid(id)) return false;
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return revoked.length > 0;
}

export async function touchLastUsed(db: Database, id: string, now: Date = new Date()): Promise<void> {
  if (!isUuid(id)) return;
  await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, id));
}
