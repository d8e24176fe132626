import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from '../database';
import { users } from '../schema';
import type { UserAuthSource, UserRow } from '../schema';

export interface CreateUserInput {
  /** Defaults to a random UUID (built-in accounts). */
  id?: string;
  email?: string | null;
  passwordHash?: string | null;
  /** Default: `password` when a password hash is given, else `host`. */
  authSource?: UserAuthSource;
  createdAt?: Date;
}

/** Emails are compared case-insensitively by storing them lowercased (a CHECK constraint enforces it). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Throws a unique violation (see `isUniqueViolation`) when the email is taken. */
export async function createUser(db: Database, input: CreateUserInput): Promise<UserRow> {
  const [row] = await db
    .insert(users)
    .values({
      id: input.id ?? randomUUID(),
      email: input.email ? normalizeEmail(input.email) : null,
      passwordHash: input.passwordHash ?? null,
      authSource: input.authSource ?? (input.passwordHash ? 'password' : 'host'),
      ...(input.createdAt ? { createdAt: input.createdAt } : {}),
    })
    .returning();
  if (!row) throw new Error('createUser: insert returned no row');
  return row;
}

export async function findUserByEmail(db: Database, email: string): Promise<UserRow | null> {
  const [row] = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)))
    .limit(1);
  return row ?? null;
}

export async function findUserById(db: Database, id: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ?? null;
}

/**
 * Locks the user's row for the rest of the transaction: concurrent requests for one user (two resend
 * clicks, two links used at once, two servers, a support user's grants) serialize here. Every
 * transaction that takes it takes it before its other locks on the user's things.
 */
export async function lockUserRow(tx: Database, userId: string): Promise<UserRow | null> {
  const [row] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
  return row ?? null;
}

/**
 * For users that a host platform's JWT vouches for: the first request creates the row, concurrent
 * first requests are harmless (ON CONFLICT DO NOTHING), and the existing row is returned.
 */
export async function ensureUser(db: Database, id: string, now?: Date): Promise<UserRow> {
  await db
    .insert(users)
    .values({ id, authSource: 'host', ...(now ? { createdAt: now } : {}) })
    .onConflictDoNothing({ target: users.id });
  const row = await findUserById(db, id);
  if (!row) throw new Error('ensureUser: user row missing after insert');
  return row;
}
