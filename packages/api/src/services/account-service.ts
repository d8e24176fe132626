import { randomUUID } from 'node:crypto';
import {
  createUser,
  ensurePersonalAccount,
  findRefreshTokenByHash,
  findRefreshTokenById,
  findUserByEmail,
  findUserById,
  insertRefreshToken,
  markRefreshTokenPresented,
  isUniqueViolation,
  lockUserRow,
  revokeRefreshToken,
  revokeRefreshTokenFamily,
  type Database,
  type PlatformRole,
  type RefreshTokenRow,
} from '@tollgate/db';
import { AppError } from '@tollgate/domain';
import { signAccessToken } from '../auth/access-token';
import type { LoginLockout } from '../auth/login-lockout';
import type { SessionLiveness } from '../auth/session-liveness';
import { setBounded } from '../bounded-map';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from '../auth/passwords';
import { hashSecret, randomToken } from '../auth/secrets';
import { hasHostPlatform, type ApiDeps } from '../config';
import { isEmailVerified, issueVerification } from './email-verification';

export interface PublicUser {
  id: string;
  email: string | null;
  createdAt: Date;
}

export interface Me extends PublicUser {
  platformRole: PlatformRole | null;
  /** Trials and checkout need it (host-platform users always are). */
  emailVerified: boolean;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  user: PublicUser;
}

const INVALID_CREDENTIALS = 'Wrong email or password';
/**
 * How long a rotated refresh token may be presented again while its successor is still unused: the
 * rotation's answer was lost (a timeout, a tab closed mid-refresh), and the client retries with the
 * token it still holds. Past it, or once the successor was used, it is reuse and ends the family.
 */
export const ROTATION_RETRY_GRACE_MS = 30_000;
/** Retries of one rotated token followed within the grace: a bound on the chain read, far above a client's. */
const MAX_RETRY_CHAIN = 20;
const SESSION_EXPIRED = 'Session expired: sign in again';

/** User ids this process has seen in the database (bounded; users are never deleted, so a yes stays). */
const KNOWN_USERS_MAX = 10_000;

/** Tollgate's built-in accounts: email + password, short-lived access JWTs, rotating refresh tokens. */
export function createAccountService(deps: ApiDeps, loginLockout: LoginLockout, sessions: SessionLiveness) {
  const { db, config, now } = deps;
  const createsUnknownUsers = hasHostPlatform(config);
  const knownUserIds = new Map<string, true>();

  function requireBuiltInAccounts() {
    if (!config.isBuiltInAccountsEnabled) {
      throw new AppError('FORBIDDEN', 'Built-in accounts are disabled: sign in through the host platform');
    }
  }

  async function issueTokens(
    user: PublicUser,
    familyId: string = randomUUID(),
    executor: Database = db,
    tokenId?: string,
  ): Promise<TokenPair> {
    const issuedAt = now();
    const refreshToken = randomToken();
    await insertRefreshToken(executor, {
      ...(tokenId ? { id: tokenId } : {}),
      userId: user.id,
      tokenHash: hashSecret(refreshToken),
      familyId,
      expiresAt: new Date(issuedAt.getTime() + config.jwt.refreshTtlSeconds * 1000),
    });
    const accessToken = await signAccessToken(config.jwt, user, familyId, issuedAt);
    return { accessToken, refreshToken, expiresIn: config.jwt.accessTtlSeconds, user };
  }

  /**
   * Revokes `token` naming its successor, and issues that successor (null: revoked meanwhile).
   * `isRetry`: `token` is rotated for a retry of its predecessor, not because it was presented.
   */
  async function rotate(
    tx: Database,
    user: PublicUser,
    token: RefreshTokenRow,
    isRetry = false,
  ): Promise<TokenPair | null> {
    const successorId = randomUUID();
    if (!(await revokeRefreshToken(tx, token.id, successorId, now(), isRetry))) return null;
    return issueTokens(user, token.familyId, tx, successorId);
  }

  /**
   * For a token rotated less than ROTATION_RETRY_GRACE_MS ago (a retry whose first answer was lost):
   * the token its rotation led to that is still unused, else null. The chain is followed past tokens
   * that earlier retries rotated (the client may never have seen them: two answers lost in a row, or
   * concurrent retries), never past one that was presented. A logout or a reset revokes the end of the
   * chain too (not by retry), so it never revives a session they ended.
   */
  async function retriedSuccessor(tx: Database, token: RefreshTokenRow): Promise<RefreshTokenRow | null> {
    const at = now().getTime();
    if (!token.revokedAt || at - token.revokedAt.getTime() > ROTATION_RETRY_GRACE_MS) return null;
    let next = token.replacedById;
    for (let hop = 0; next && hop < MAX_RETRY_CHAIN; hop += 1) {
      const successor = await findRefreshTokenById(tx, next);
      if (!successor || successor.expiresAt.getTime() <= at) return null;
      if (!successor.revokedAt) return successor;
      if (!successor.revokedByRetry) return null;
      next = successor.replacedById;
    }
    return null;
  }

  return {
    async register(input: { email: string; password: string }): Promise<TokenPair> {
      requireBuiltInAccounts();
      const email = input.email.toLowerCase();
      if (await findUserByEmail(db, email)) {
        throw new AppError('CONFLICT', 'An account with this email already exists');
      }
      const passwordHash = await hashPassword(input.password);
      const at = now();
      // One transaction: the user, its personal account (with its FREE subscription) and the
      // verification email exist together or not at all (the outbox worker sends after commit).
      const user = await db
        .transaction(async (tx) => {
          const created = await createUser(tx, { id: randomUUID(), email, passwordHash, createdAt: at });
          await ensurePersonalAccount(tx, created.id, created.createdAt);
          await issueVerification(tx, deps, { id: created.id, email }, at);
          return created;
        })
        .catch((error: unknown) => {
          // Two registrations racing for one email: the unique index decides, the loser gets a clear 409.
          if (isUniqueViolation(error))
            throw new AppError('CONFLICT', 'An account with this email already exists');
          throw error;
        });
      return issueTokens(toPublicUser(user));
    },

    async login(input: { email: string; password: string }, ip: string): Promise<TokenPair> {
      requireBuiltInAccounts();
      const email = input.email.toLowerCase();
      await loginLockout.countAttempt(email, ip, now());
      const user = await findUserByEmail(db, email);
      const isValid = await verifyPassword(user?.passwordHash ?? DUMMY_PASSWORD_HASH, input.password);
      if (!user?.passwordHash || !isValid) throw new AppError('UNAUTHORIZED', INVALID_CREDENTIALS);
      // The session is created under the user's lock, with the password checked still the one set: a
      // password reset that committed during the (slow) check ended every session, and one made from
      // the old password after it would outlive it.
      const tokens = await db.transaction(async (tx) => {
        const locked = await lockUserRow(tx, user.id);
        if (locked?.passwordHash !== user.passwordHash) return null;
        return issueTokens(toPublicUser(locked), undefined, tx);
      });
      if (!tokens) throw new AppError('UNAUTHORIZED', INVALID_CREDENTIALS);
      await loginLockout.forget(email, ip, now());
      return tokens;
    },

    /**
     * Rotates the refresh token. Presenting an already-rotated token revokes its whole family, unless
     * it is a retry moments after a rotation whose successor was never used (ROTATION_RETRY_GRACE_MS:
     * the successor is rotated instead, so a lost answer doesn't sign the user out everywhere). Under
     * the user's row lock, which a password reset and a logout take too: a rotation that raced them
     * would otherwise insert its new token after they revoked the user's (or the family's) tokens, and
     * that token would outlive "signed out everywhere".
     */
    async refresh(refreshToken: string): Promise<TokenPair> {
      // Turned off on a database that has built-in users: their sessions end too, not only sign-ins.
      requireBuiltInAccounts();
      const tokenHash = hashSecret(refreshToken);
      const found = await findRefreshTokenByHash(db, tokenHash);
      if (!found) throw new AppError('UNAUTHORIZED', SESSION_EXPIRED);
      let endedFamily = false;
      const rotated = await db.transaction(async (tx) => {
        const user = await lockUserRow(tx, found.userId);
        const stored = await findRefreshTokenByHash(tx, tokenHash); // as it is now, under the lock
        if (!user || !stored || stored.expiresAt.getTime() <= now().getTime()) return null;
        const publicUser = toPublicUser(user);
        if (!stored.revokedAt) return rotate(tx, publicUser, stored);
        // Rotated moments ago and its successor never used: the answer was lost, the client retries.
        const successor = await retriedSuccessor(tx, stored);
        if (successor) {
          // Presented now, so never again a link a retry of an older token may pass through: a
          // thief replaying the token before it gets no further than this one.
          if (stored.revokedByRetry) await markRefreshTokenPresented(tx, stored.id);
          return rotate(tx, publicUser, successor, true);
        }
        // Otherwise presented again after its rotation (a stolen copy?), or revoked by a reset or a
        // logout. Either way the family ends (committed: it is the answer, not an error).
        await revokeRefreshTokenFamily(tx, stored.familyId, now());
        endedFamily = true;
        return null;
      });
      // The family's access tokens end with it (a stolen one among them).
      if (endedFamily) sessions.ended(found.familyId, found.userId);
      if (!rotated) throw new AppError('UNAUTHORIZED', SESSION_EXPIRED);
      return rotated;
    },

    /**
     * Ends the token's family, and with it the access tokens issued to it; under the user's lock, so a
     * rotation racing it can't outlive it.
     */
    async logout(refreshToken: string): Promise<void> {
      const stored = await findRefreshTokenByHash(db, hashSecret(refreshToken));
      if (!stored) return;
      await db.transaction(async (tx) => {
        await lockUserRow(tx, stored.userId);
        await revokeRefreshTokenFamily(tx, stored.familyId, now());
      });
      sessions.ended(stored.familyId, stored.userId);
    },

    /**
     * A service acting for `userId` (usage.*, billing.subscription): with a host platform its users
     * exist from their first call (created where they are first used, as before); with built-in
     * accounts only an id nobody registered is a typo or a placeholder, so it is refused with 404
     * UNKNOWN_USER instead of becoming a new FREE account that gets charged.
     */
    async requireKnownUser(userId: string): Promise<void> {
      if (createsUnknownUsers || knownUserIds.has(userId)) return;
      if (!(await findUserById(db, userId))) {
        throw new AppError('UNKNOWN_USER', 'Unknown user: no account has this id (register it first)');
      }
      setBounded(knownUserIds, userId, true, KNOWN_USERS_MAX);
    },

    async me(userId: string): Promise<Me> {
      const user = await findUserById(db, userId);
      // Host-platform users exist from their first token on; their row holds no email, and their
      // platform vouches for them (verified).
      if (!user)
        return { id: userId, email: null, createdAt: now(), platformRole: null, emailVerified: true };
      return {
        ...toPublicUser(user),
        platformRole: user.platformRole ?? null,
        emailVerified: isEmailVerified(user),
      };
    },
  };
}

function toPublicUser(user: { id: string; email: string | null; createdAt: Date }): PublicUser {
  return { id: user.id, email: user.email, createdAt: user.createdAt };
}

export type AccountService = ReturnType<typeof createAccountService>;
