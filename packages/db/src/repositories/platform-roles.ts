import { and, asc, count, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { operatorBootstrapTokens, users } from '../schema';
import { revokePlatformKeysBeyondRole } from './api-keys';
import type { OperatorBootstrapTokenRow, PlatformRole, UserRow } from '../schema';

// Platform roles (operator) are granted by another operator, by the one-time bootstrap token or by the
// CLI: never derived from anything a user can claim. Every change that depends on "how many operators
// are there" (the bootstrap claim, revoking) runs under one transaction-scoped advisory lock, so two
// concurrent claims can't both make a first operator and two revokes can't leave none.
const platformRoleLock = sql`select pg_advisory_xact_lock(hashtext('tollgate:platform-roles'))`;
const platformRoleSharedLock = sql`select pg_advisory_xact_lock_shared(hashtext('tollgate:platform-roles'))`;

/** `bootstrap`, `cli`, or the id of the operator who granted the role. */
export type PlatformRoleGrantor = string;

export interface PlatformRoleHolder {
  userId: string;
  email: string | null;
  authSource: UserRow['authSource'];
  role: PlatformRole;
  grantedAt: Date | null;
  grantedBy: string | null;
}

function toHolder(row: UserRow): PlatformRoleHolder | null {
  if (!row.platformRole) return null;
  return {
    userId: row.id,
    email: row.email,
    authSource: row.authSource,
    role: row.platformRole,
    grantedAt: row.platformRoleGrantedAt,
    grantedBy: row.platformRoleGrantedBy,
  };
}

/** The user's platform role, read on every operator-only call (so a revocation applies at once). */
export async function findPlatformRole(db: Database, userId: string): Promise<PlatformRole | null> {
  const [row] = await db
    .select({ role: users.platformRole })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  return row?.role ?? null;
}

/**
 * The user's platform role, read as a platform key is written (in that key's transaction): under the
 * role lock's shared side, so a revocation either commits first (and this reads no role) or waits for
 * the key's commit (and then revokes the key with the others). Two keys being made don't wait for each
 * other.
 */
export async function findPlatformRoleForKey(tx: Database, userId: string): Promise<PlatformRole | null> {
  await tx.execute(platformRoleSharedLock);
  return findPlatformRole(tx, userId);
}

export async function countPlatformOperators(db: Database): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users).where(eq(users.platformRole, 'operator'));
  return row?.n ?? 0;
}

export async function listPlatformOperators(db: Database): Promise<PlatformRoleHolder[]> {
  const rows = await db
    .select()
    .from(users)
    .where(eq(users.platformRole, 'operator'))
    .orderBy(asc(users.platformRoleGrantedAt), asc(users.id));
  return rows.map(toHolder).filter((holder): holder is PlatformRoleHolder => holder !== null);
}

/**
 * Grants a platform role (operator by default). Idempotent: granting the role held again keeps the
 * first grant's time and grantor. Support is promoted to operator; an operator is never demoted here
 * (the holder comes back unchanged: revoking keeps the last-operator guard). null when no such user
 * exists.
 */
export async function grantPlatformRole(
  db: Database,
  input: { userId: string; grantedBy: PlatformRoleGrantor; now: Date; role?: PlatformRole },
): Promise<PlatformRoleHolder | null> {
  const role = input.role ?? 'operator';
  const [granted] = await db
    .update(users)
    .set({
      platformRole: role,
      platformRoleGrantedAt: input.now,
      platformRoleGrantedBy: input.grantedBy,
    })
    .where(
      and(
        eq(users.id, input.userId),
        role === 'operator'
          ? or(isNull(users.platformRole), eq(users.platformRole, 'support'))
          : isNull(users.platformRole),
      ),
    )
    .returning();
  if (granted) return toHolder(granted);
  const [existing] = await db.select().from(users).where(eq(users.id, input.userId)).limit(1);
  return existing ? toHolder(existing) : null;
}

export type RevokeOutcome =
  /** `role`: the one taken away; `revokedApiKeyIds`: the platform keys the user made, revoked with it. */
  | { kind: 'revoked'; role: PlatformRole; revokedApiKeyIds: string[] }
  | { kind: 'not_operator' }
  | { kind: 'last_operator' };

/**
 * Takes the role away, unless this user is the last operator (someone must be able to grant it), and in
 * the same transaction revokes the platform keys the user made (what they handed out works only while
 * they could still hand it out: a platform key acts for every account). Every revocation (the
 * `operators.revoke` procedure, the console, the operator CLI) goes through here.
 */
export async function revokePlatformRole(
  db: Database,
  userId: string,
  now: Date = new Date(),
): Promise<RevokeOutcome> {
  return db.transaction(async (tx) => {
    await tx.execute(platformRoleLock);
    const role = await findPlatformRole(tx, userId);
    if (role === null) return { kind: 'not_operator' };
    // Support can always be revoked; the last operator can't (someone must be able to grant roles).
    if (role === 'operator' && (await countPlatformOperators(tx)) <= 1) return { kind: 'last_operator' };
    await tx
      .update(users)
      .set({ platformRole: null, platformRoleGrantedAt: null, platformRoleGrantedBy: null })
      .where(eq(users.id, userId));
    const revokedApiKeyIds = await revokePlatformKeysBeyondRole(tx, { userId, role: null, now });
    return { kind: 'revoked', role, revokedApiKeyIds };
  });
}

/** Stores a bootstrap token's hash (the token itself is printed once and never stored). */
export async function createOperatorBootstrapToken(
  db: Database,
  input: { tokenHash: string; expiresAt: Date; now?: Date },
): Promise<OperatorBootstrapTokenRow> {
  const [row] = await db
    .insert(operatorBootstrapTokens)
    .values({
      tokenHash: input.tokenHash,
      expiresAt: input.expiresAt,
      ...(input.now ? { createdAt: input.now } : {}),
    })
    .returning();
  if (!row) throw new Error('createOperatorBootstrapToken: insert returned no row');
  return row;
}

export type BootstrapClaimOutcome = 'granted' | 'operator_exists' | 'invalid_token' | 'unknown_user';

/**
 * Makes the user the first operator with a bootstrap token: only while no operator exists, and each
 * token once (a conditional UPDATE … WHERE used_at IS NULL AND expires_at > now). Serialized by the
 * advisory lock: of two concurrent claims (even with two different tokens) exactly one succeeds.
 */
export async function claimOperatorBootstrap(
  db: Database,
  input: { tokenHash: string; userId: string; now: Date },
): Promise<BootstrapClaimOutcome> {
  return db.transaction(async (tx) => {
    await tx.execute(platformRoleLock);
    if ((await countPlatformOperators(tx)) > 0) return 'operator_exists';
    const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, input.userId)).limit(1);
    if (!user) return 'unknown_user';
    const [used] = await tx
      .update(operatorBootstrapTokens)
      .set({ usedAt: input.now, usedByUserId: input.userId })
      .where(
        and(
          eq(operatorBootstrapTokens.tokenHash, input.tokenHash),
          isNull(operatorBootstrapTokens.usedAt),
          gt(operatorBootstrapTokens.expiresAt, input.now),
        ),
      )
      .returning({ id: operatorBootstrapTokens.id });
    if (!used) return 'invalid_token';
    await tx
      .update(users)
      .set({ platformRole: 'operator', platformRoleGrantedAt: input.now, platformRoleGrantedBy: 'bootstrap' })
      .where(eq(users.id, input.userId));
    return 'granted';
  });
}
