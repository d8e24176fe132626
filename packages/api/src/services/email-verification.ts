import {
  consumeEmailToken,
  emailTokens,
  findEmailTokenUserId,
  findUserById,
  insertEmailToken,
  invalidateEmailTokens,
  lockUserRow,
  markEmailVerified,
  type Database,
  type EmailTokenPurpose,
  type EmailTokenRow,
  type UserRow,
} from '@tollgate/db';
import { AppError, MS_PER_HOUR } from '@tollgate/domain';
import { and, asc, eq, gt } from 'drizzle-orm';
import { hashSecret, randomToken } from '../auth/secrets';
import { hasHostPlatform, type ApiDeps } from '../config';
import { notify } from '../notifications/notifier';

export const VERIFY_EMAIL_TTL_HOURS = 24;
/** Resend limits, counted from the tokens stored in the database (so they hold across processes). */
export const RESEND_MIN_INTERVAL_SECONDS = 60;
/** Verification emails per user per rolling 24 hours, the one sent at sign-up included. */
export const VERIFY_EMAILS_PER_DAY = 5;

const TOKEN_INVALID_MESSAGE = 'This link is invalid, expired or already used: ask for a new one';
export const EMAIL_NOT_VERIFIED_MESSAGE =
  'Verify your email address first: we sent you a link. You can ask for a new one in the app.';

/** Host-platform users are vouched for by their platform; built-in users once they clicked the link. */
export function isEmailVerified(user: Pick<UserRow, 'authSource' | 'emailVerifiedAt'>): boolean {
  return user.authSource === 'host' || user.emailVerifiedAt !== null;
}

/**
 * Uses a link's token (one conditional UPDATE: of two concurrent uses one wins) with its user's row
 * locked first, the order every transaction on a user's tokens takes. Consuming first and locking after
 * deadlocked two links of one user used at once on PostgreSQL: each held its own token and waited for
 * the user, whose holder then voided the other's token. Null: unknown, used or expired.
 */
export async function consumeLinkToken(
  tx: Database,
  purpose: EmailTokenPurpose,
  tokenHash: string,
  at: Date,
): Promise<{ used: EmailTokenRow; user: UserRow | null } | null> {
  const userId = await findEmailTokenUserId(tx, purpose, tokenHash);
  if (userId === null) return null;
  const user = await lockUserRow(tx, userId);
  const used = await consumeEmailToken(tx, purpose, tokenHash, at);
  return used ? { used, user } : null;
}

/** Creation times of the user's tokens of `purpose` since `since`, oldest first. */
export async function recentTokenTimes(
  tx: Database,
  userId: string,
  purpose: EmailTokenPurpose,
  since: Date,
): Promise<Date[]> {
  const rows = await tx
    .select({ createdAt: emailTokens.createdAt })
    .from(emailTokens)
    .where(
      and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), gt(emailTokens.createdAt, since)),
    )
    .orderBy(asc(emailTokens.createdAt));
  return rows.map((row) => row.createdAt);
}

/**
 * Issues a verification token for the user's current address and enqueues its email, in the caller's
 * transaction (the outbox worker sends it after commit). Only the token's hash is stored: the link in
 * the email is the one place the token exists.
 */
export async function issueVerification(
  tx: Database,
  deps: Pick<ApiDeps, 'config'>,
  user: { id: string; email: string },
  at: Date,
): Promise<void> {
  const token = randomToken();
  const row = await insertEmailToken(tx, {
    userId: user.id,
    purpose: 'verify_email',
    email: user.email,
    tokenHash: hashSecret(token),
    createdAt: at,
    expiresAt: new Date(at.getTime() + VERIFY_EMAIL_TTL_HOURS * MS_PER_HOUR),
  });
  const url = new URL('/verify-email', deps.config.appUrl);
  // In the fragment: it never reaches a server's access log or a Referer header.
  url.hash = `token=${token}`;
  await notify(
    tx,
    {
      email: { kind: 'verify_email', verifyUrl: url.toString(), expiresInHours: VERIFY_EMAIL_TTL_HOURS },
      accountId: null,
      key: row.id,
      audience: { to: 'user', userId: user.id },
    },
    at,
  );
}

/**
 * Email verification for built-in accounts: the link sent at sign-up (account-service), resending it
 * within limits, using it, and the gate trials and checkout pass through.
 *
 * Resending does not invalidate the earlier links: all go to the same address, each expires in 24 h,
 * and the user may click whichever email arrives first. Using any one of them invalidates the rest.
 */
export function createEmailVerificationService(deps: ApiDeps) {
  const { db, config, now } = deps;
  const vouchesForUnknownUsers = hasHostPlatform(config);

  return {
    async resend(userId: string): Promise<{ sent: boolean }> {
      const at = now();
      return db.transaction(async (tx) => {
        const user = await lockUserRow(tx, userId);
        if (!user?.email || isEmailVerified(user)) return { sent: false };
        const dayAgo = new Date(at.getTime() - 24 * MS_PER_HOUR);
        const times = await recentTokenTimes(tx, userId, 'verify_email', dayAgo);
        const newest = times.at(-1);
        const oldest = times[0];
        const minuteWaitMs = newest
          ? newest.getTime() + RESEND_MIN_INTERVAL_SECONDS * 1000 - at.getTime()
          : 0;
        const dayWaitMs =
          times.length >= VERIFY_EMAILS_PER_DAY && oldest
            ? oldest.getTime() + 24 * MS_PER_HOUR - at.getTime()
            : 0;
        const waitMs = Math.max(minuteWaitMs, dayWaitMs);
        if (waitMs > 0) {
          const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
          const message =
            dayWaitMs > minuteWaitMs
              ? `We sent ${VERIFY_EMAILS_PER_DAY} verification emails today: ask again in ${Math.ceil(retryAfterSeconds / 3600)} h`
              : `We just sent you a verification email: you can ask for another in ${retryAfterSeconds} s`;
          throw new AppError('TOO_MANY_REQUESTS', message, { retryAfterSeconds });
        }
        await issueVerification(tx, deps, { id: user.id, email: user.email }, at);
        return { sent: true };
      });
    },

    /**
     * Uses a link: one conditional UPDATE consumes the token, so of two concurrent clicks one verifies
     * and the other gets TOKEN_INVALID. The address is verified only if it is still the one the link
     * went to.
     */
    async verify(token: string): Promise<{ verified: true; email: string }> {
      const at = now();
      return db.transaction(async (tx) => {
        const consumed = await consumeLinkToken(tx, 'verify_email', hashSecret(token), at);
        if (!consumed) throw new AppError('TOKEN_INVALID', TOKEN_INVALID_MESSAGE);
        const { used, user } = consumed;
        if (user?.email !== used.email) throw new AppError('TOKEN_INVALID', TOKEN_INVALID_MESSAGE);
        await markEmailVerified(tx, used.userId, used.email, at);
        await invalidateEmailTokens(tx, used.userId, 'verify_email', at);
        return { verified: true as const, email: used.email };
      });
    },

    /**
     * Trials and checkout need a verified address (FREE runs don't: an unverified user can sign in,
     * look around and use the free tier). The check is on the calling user, also on a team account.
     */
    async requireVerified(userId: string): Promise<void> {
      const user = await findUserById(db, userId);
      // A host platform's users get their row on first use; its token vouches for them.
      if (!user ? vouchesForUnknownUsers : isEmailVerified(user)) return;
      throw new AppError('EMAIL_NOT_VERIFIED', EMAIL_NOT_VERIFIED_MESSAGE);
    },
  };
}

export type EmailVerificationService = ReturnType<typeof createEmailVerificationService>;
