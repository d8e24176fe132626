import {
  appendAudit,
  claimOperatorBootstrap,
  countPlatformOperators,
  createOperatorBootstrapToken,
  findUserByEmail,
  findUserById,
  grantPlatformRole,
  listPlatformOperators,
  revokePlatformRole,
  type Database,
  type PlatformRole,
  type PlatformRoleHolder,
  type UserRow,
} from '@tollgate/db';
import { AppError } from '@tollgate/domain';
import { hashSecret, randomToken } from '../auth/secrets';
import type { ApiDeps } from '../config';
import { isEmailVerified } from './email-verification';

/** A bootstrap token works for this long after the server that printed it started. */
export const BOOTSTRAP_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

export type OperatorTarget = { userId: string } | { email: string };

/**
 * Says why an email can't name whom a platform role goes to: anyone may register any address, so until
 * its owner clicked the verification link the account behind it may be a squatter's.
 */
const UNVERIFIED_GRANTEE_MESSAGE =
  "This address isn't verified yet: whoever registered it may not own it. Grant by user id once you know it's them, or after they verify it";

/**
 * The user a role grant names: by id, or by an email address its owner has verified (an email counts
 * only once verified). Used by `operators.grant`, the console's grant and the operator CLI.
 */
export async function findRoleGrantee(db: Database, target: OperatorTarget): Promise<UserRow> {
  const user =
    'userId' in target ? await findUserById(db, target.userId) : await findUserByEmail(db, target.email);
  if (!user) throw new AppError('NOT_FOUND', 'No user with this id or email');
  if ('email' in target && !isEmailVerified(user)) {
    throw new AppError('EMAIL_NOT_VERIFIED', UNVERIFIED_GRANTEE_MESSAGE);
  }
  return user;
}

export interface Operator {
  userId: string;
  email: string | null;
  role: PlatformRole;
  grantedAt: Date | null;
  grantedBy: string | null;
}

function toOperator(holder: PlatformRoleHolder): Operator {
  return {
    userId: holder.userId,
    email: holder.email,
    role: holder.role,
    grantedAt: holder.grantedAt,
    grantedBy: holder.grantedBy,
  };
}

/**
 * Platform operators (people who run Tollgate itself): a role stored on the user, granted by another
 * operator, the CLI, or once by the bootstrap token a server prints while no operator exists.
 */
export function createOperatorService(deps: ApiDeps) {
  const { db, now } = deps;

  return {
    /**
     * While no operator exists: a new one-time token (only its hash is stored) for the caller to print.
     * Each starting server may issue its own; any unused, unexpired one works, and only until the
     * first operator exists. null when an operator already exists.
     */
    async issueBootstrapToken(): Promise<{ token: string; expiresAt: Date } | null> {
      if ((await countPlatformOperators(db)) > 0) return null;
      const token = `tg_boot_${randomToken()}`;
      const issuedAt = now();
      const expiresAt = new Date(issuedAt.getTime() + BOOTSTRAP_TOKEN_TTL_MS);
      await createOperatorBootstrapToken(db, { tokenHash: hashSecret(token), expiresAt, now: issuedAt });
      return { token, expiresAt };
    },

    async claimBootstrap(userId: string, token: string, requestId: string | null = null): Promise<Operator> {
      // The first operator is the root of every later grant: it gets its audit row, with the claim.
      const outcome = await db.transaction(async (tx) => {
        const at = now();
        const claimed = await claimOperatorBootstrap(tx, { tokenHash: hashSecret(token), userId, now: at });
        if (claimed === 'granted') {
          await appendAudit(tx, {
            actorUserId: userId,
            actorRole: 'bootstrap',
            action: 'claim_operator_bootstrap',
            accountId: null,
            before: { userId, role: null },
            after: { userId, role: 'operator' },
            reason: '',
            requestId,
            at,
          });
        }
        return claimed;
      });
      if (outcome === 'operator_exists') {
        throw new AppError('CONFLICT', 'An operator already exists: ask one to grant you the role');
      }
      if (outcome === 'invalid_token') {
        throw new AppError('FORBIDDEN', 'This bootstrap token is unknown, used or expired');
      }
      if (outcome === 'unknown_user') throw new AppError('NOT_FOUND', 'No such user');
      return requireOperator(userId);
    },

    async grant(
      target: OperatorTarget,
      grantedBy: string,
      role: PlatformRole = 'operator',
    ): Promise<Operator> {
      const user = await findRoleGrantee(db, target);
      const holder = await grantPlatformRole(db, { userId: user.id, grantedBy, now: now(), role });
      if (!holder) throw new AppError('NOT_FOUND', 'No user with this id or email');
      if (holder.role !== role) {
        // Only an operator outranks the role asked for: it is never demoted by a grant.
        throw new AppError(
          'CONFLICT',
          'This user is an operator: revoke the role first to make them support',
        );
      }
      return toOperator(holder);
    },

    /**
     * Takes the role away, and with it the platform keys the user made (see `revokePlatformRole`).
     * Writes no audit row: `operators.revoke` goes through the console's `revokeRoleAudited`.
     */
    async revoke(userId: string): Promise<{ userId: string; revoked: true; revokedApiKeyIds: string[] }> {
      const outcome = await revokePlatformRole(db, userId, now());
      if (outcome.kind === 'not_operator') throw new AppError('NOT_FOUND', 'This user is not an operator');
      if (outcome.kind === 'last_operator') {
        throw new AppError('CONFLICT', 'This is the last operator: grant the role to someone else first');
      }
      return { userId, revoked: true, revokedApiKeyIds: outcome.revokedApiKeyIds };
    },

    async list(): Promise<Operator[]> {
      return (await listPlatformOperators(db)).map(toOperator);
    },
  };

  async function requireOperator(userId: string): Promise<Operator> {
    const user = await findUserById(db, userId);
    if (user?.platformRole !== 'operator') throw new AppError('INTERNAL', 'The granted role is missing');
    return {
      userId: user.id,
      email: user.email,
      role: 'operator',
      grantedAt: user.platformRoleGrantedAt,
      grantedBy: user.platformRoleGrantedBy,
    };
  }
}

export type OperatorService = ReturnType<typeof createOperatorService>;
