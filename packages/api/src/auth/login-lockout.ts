import { AppError } from '@tollgate/domain';
import type { Database } from '@tollgate/db';
import { createRateLimiter, type RateLimiter } from './rate-limiter';
import { hashSecret } from './secrets';

/**
 * Failed sign-ins one address may have in a window from one client IP: a user who mistypes a few
 * times never meets it, and a single IP can't lock anyone else out (the owner's IP has its own count).
 */
export const LOGIN_FAILURES_PER_CLIENT = 10;
/**
 * Failed sign-ins one address may have in a window from all IPs together: the per-IP limits alone let
 * a botnet guess one account's password without end. Under ten thousand guesses a day, and locking an
 * owner out this way takes ten IPs or more.
 */
export const LOGIN_FAILURES_PER_ACCOUNT = 100;
export const LOGIN_LOCKOUT_WINDOW_MS = 15 * 60_000;

/**
 * The limits on failed sign-ins of one address: per client IP, and from all IPs. An attempt is counted
 * before its password is checked, so concurrent guesses can't all slip past the check, and a success
 * forgets the window's counts (the limits are on failures). Addresses without an account count the
 * same, so a refusal reveals nothing. A password reset forgets them too: the mailbox owner gets in.
 */
export function createLoginLockout(db: Database) {
  const options = (max: number) => ({ windowMs: LOGIN_LOCKOUT_WINDOW_MS, max });
  const perClient = createRateLimiter(options(LOGIN_FAILURES_PER_CLIENT), db);
  const perAccount = createRateLimiter(options(LOGIN_FAILURES_PER_ACCOUNT), db);
  // Hashed: the shared table holds no addresses.
  const addressKey = (email: string) => `login-address:${hashSecret(email.toLowerCase())}`;
  const clientKey = (email: string, ip: string) => `${addressKey(email)}@${ip}`;

  function refuse(limiter: RateLimiter, now: Date): never {
    const retryAfterSeconds = Math.ceil(limiter.msUntilNextWindow(now) / 1000);
    throw new AppError(
      'TOO_MANY_REQUESTS',
      `Too many failed sign-ins for this address: try again in ${Math.ceil(retryAfterSeconds / 60)} min, or reset your password`,
      { retryAfterSeconds },
    );
  }

  return {
    /**
     * Counts one attempt for the address, from `ip`; 429 with Retry-After when either window is used
     * up. A client refused by its own limit adds nothing to the address's: one IP weighs at most
     * LOGIN_FAILURES_PER_CLIENT in it.
     */
    async countAttempt(email: string, ip: string, now: Date): Promise<void> {
      if (!(await perClient.hit(clientKey(email, ip), now))) refuse(perClient, now);
      if (!(await perAccount.hit(addressKey(email), now))) refuse(perAccount, now);
    },
    /** After a sign-in or a password reset (from `ip`): the window starts again with no failures. */
    async forget(email: string, ip: string, now: Date): Promise<void> {
      await perClient.reset(clientKey(email, ip), now);
      await perAccount.reset(addressKey(email), now);
    },
  };
}

export type LoginLockout = ReturnType<typeof createLoginLockout>;
