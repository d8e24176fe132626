import { createHash } from 'node:crypto';

/**
 * The id of a user's personal account, derived from the user id (a version-8 UUID made of a SHA-256 of
 * it): a caller naming a user reaches its account without a lookup, and the id never changes. The
 * migration's SQL function `personal_account_id` computes the same value (a test holds them equal).
 * Not a secret: being a member is what grants access, checked on every call.
 */
export function personalAccountId(userId: string): string {
  const hex = createHash('sha256').update(`tollgate:personal-account:${userId}`, 'utf8').digest('hex');
  const variant = '89ab'[Number.parseInt(hex.charAt(16), 16) % 4];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
