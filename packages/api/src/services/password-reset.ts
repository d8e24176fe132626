import {
  findUserByEmail,
  insertEmailToken,
  invalidateEmailTokens,
  lockUserRow,
  markEmailVerified,
  revokeGrantsMadeUntil,
  revokeAllRefreshTokensForUser,
  setPasswordHash,
} from '@tollgate/db';
import { AppError } from '@tollgate/domain';
import type { LoginLockout } from '../auth/login-lockout';
import type { SessionLiveness } from '../auth/session-liveness';
import { hashPassword } from '../auth/passwords';
import { hashSecret, randomToken } from '../auth/secrets';
import type { ApiDeps } from '../config';
import { notify } from '../notifications/notifier';
import { consumeLinkToken, recentTokenTimes } from './email-verification';

export const PASSWORD_RESET_TTL_MINUTES = 60;
/** Reset emails per user per rolling hour; more requests are accepted and silently dropped. */
export const PASSWORD_RESETS_PER_HOUR = 3;

const MS_PER_MINUTE = 60_000;
const TOKEN_INVALID_MESSAGE = 'This reset link is invalid, expired or already used: ask for a new one';

/**
 * Password reset for built-in accounts. Asking never reveals whether an address has an account: the
 * answer is the same, and it is given before any per-user work happens (that work runs detached, so
 * not even the response time differs). Using the link proves the mailbox, so it also verifies it.
 */
export function createPasswordResetService(
  deps: ApiDeps,
  loginLockout: LoginLockout,
  sessions: SessionLiveness,
) {
  const { db, config, now, logger } = deps;
  const pending = new Set<Promise<void>>();

  async function sendResetEmail(address: string, at: Date): Promise<void> {
    const found = await findUserByEmail(db, address);
    // No account, or one without a password (a host platform's user): nothing to reset.
    if (!found?.passwordHash || found.authSource !== 'password') return;
    await db.transaction(async (tx) => {
      const user = await lockUserRow(tx, found.id);
      if (!user?.email || !user.passwordHash) return;
      const hourAgo = new Date(at.getTime() - 60 * MS_PER_MINUTE);
      const recent = await recentTokenTimes(tx, user.id, 'password_reset', hourAgo);
      if (recent.length >= PASSWORD_RESETS_PER_HOUR) return;
      const token = randomToken();
      const row = await insertEmailToken(tx, {
        userId: user.id,
        purpose: 'password_reset',
        email: user.email,
        tokenHash: hashSecret(token),
        createdAt: at,
        expiresAt: new Date(at.getTime() + PASSWORD_RESET_TTL_MINUTES * MS_PER_MINUTE),
      });
      const url = new URL('/reset-password', config.appUrl);
      url.hash = `token=${token}`;
      await notify(
        tx,
        {
          email: {
            kind: 'password_reset',
            resetUrl: url.toString(),
            expiresInMinutes: PASSWORD_RESET_TTL_MINUTES,
          },
          accountId: null,
          key: row.id,
          audience: { to: 'user', userId: user.id },
        },
        at,
      );
    });
  }

  return {
    /** Always accepted. The email (if any) is enqueued in the background; see `settled`. */
    request(email: string): { accepted: true } {
      const work = sendResetEmail(email.toLowerCase(), now())
        .catch((error: unknown) => logger.error('password reset request failed', { error: String(error) }))
        .finally(() => pending.delete(work));
      pending.add(work);
      return { accepted: true };
    },

    /** Resolves when every reset request accepted so far has done its database work (tests, shutdown). */
    async settled(): Promise<void> {
      await Promise.all([...pending]);
    },

    /**
     * Sets the new password with a link's token: single use (one conditional UPDATE: of two concurrent
     * confirms one wins, the other gets TOKEN_INVALID), signs out every session (all refresh tokens
     * revoked), voids the user's other reset links, and lifts the address's sign-in lockout (the
     * mailbox's owner is back in, whoever made the failed attempts).
     */
    async reset(input: { token: string; password: string }, ip: string): Promise<{ reset: true }> {
      // Hashing is slow (argon2id): before the transaction, so no row stays locked meanwhile.
      const passwordHash = await hashPassword(input.password);
      const at = now();
      const { email, userId } = await db.transaction(async (tx) => {
        const consumed = await consumeLinkToken(tx, 'password_reset', hashSecret(input.token), at);
        if (!consumed) throw new AppError('TOKEN_INVALID', TOKEN_INVALID_MESSAGE);
        const { used, user } = consumed;
        // A link sent to an address the account no longer has doesn't reset its password.
        if (user?.email !== used.email || user.authSource !== 'password') {
          throw new AppError('TOKEN_INVALID', TOKEN_INVALID_MESSAGE);
        }
        await setPasswordHash(tx, user.id, passwordHash);
        await revokeAllRefreshTokensForUser(tx, user.id, at);
        await invalidateEmailTokens(tx, user.id, 'password_reset', at);
        // The link reached this mailbox: the address is verified too (if not yet). Whoever used the
        // account before it was verified never proved the address (a squatter, if the owner only now
        // takes the account back, even after clicking the sign-up link): what was made until then ends.
        await revokeGrantsMadeUntil(tx, { userId: user.id, madeUntil: user.emailVerifiedAt ?? at, now: at });
        await markEmailVerified(tx, user.id, used.email, at);
        return { email: used.email, userId: user.id };
      });
      // Every access token of the user ends with its session, here at once (other replicas: within
      // SESSION_CHECK_TTL_MS).
      sessions.endedAllOf(userId);
      // After the commit: the new password is set whatever happens here; a lockout left in place
      // only ends with its window.
      await loginLockout
        .forget(email, ip, now())
        .catch((error: unknown) => logger.warn('sign-in lockout not lifted', { error: String(error) }));
      return { reset: true as const };
    },
  };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
