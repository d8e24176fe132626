import { AppError } from '@tollgate/domain';
import type { Database } from '@tollgate/db';
import { createRateLimiter } from './rate-limiter';
import { hashSecret } from './secrets';

/**
 * Failed sign-ins one address may have in a window, whatever IPs they come from: the per-IP limit
 * alone lets a botnet guess one account's password without end. Ten per 15 minutes is under a
 * thousand guesses a day, and a user who mistypes a few times never meets it.
 */
export const LOGIN_FAILURES_PER_ACCOUNT = 10;
export const LOGIN_LOCKOUT_WINDOW_MS = 15 * 60_000;

/**
 * The per-address limit on failed sign-ins. An attempt is counted before its password is checked, so
 * concurrent guesses can't all slip past the check, and a success forgets the window's count (the
 * limit is on failures). Addresses without an account count the same, so a refusal reveals nothing.
 * Anyone can lock an address out this way; its owner gets back in at once through a password reset,
 * which forgets the count too.
 */
export function createLoginLockout(db: Database) {
  const limiter = createRateLimiter(
    { windowMs: LOGIN_LOCKOUT_WINDOW_MS, max: LOGIN_FAILURES_PER_ACCOUNT },
    db,
  );
  // Hashed: the shared table holds no addresses.
  const keyOf = (email: string) => `login-address:${hashSecret(email.toLowerCase())}`;

  return {
    /** Counts one attempt for the address; 429 with Retry-After when its window is used up. */
    async countAttempt(email: string, now: Date): Promise<void> {
      if (await limiter.hit(keyOf(email), now)) return;
      const retryAfterSeconds = Math.ceil(limiter.msUntilNextWindow(now) / 1000);
      throw new AppError(
        'TOO_MANY_REQUESTS',
        `Too many failed sign-ins for this address: try again in ${Math.ceil(retryAfterSeconds / 60)} min, or reset your password`,
        { retryAfterSeconds },
      );
    },
    /** After a sign-in or a password reset: the address starts the window with no failures. */
    async forget(email: string, now: Date): Promise<void> {
      await limiter.reset(keyOf(email), now);
    },
  };
}

export type LoginLockout = ReturnType<typeof createLoginLockout>;
