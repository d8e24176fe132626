import { isUuid, personalAccountId } from '@tollgate/db';
import { ACCOUNT_REFERENCE_PREFIX, parseClientReference } from '@tollgate/domain';

/**
 * The Tollgate account a Stripe object belongs to. Objects made since billing accounts existed name the
 * account (`metadata.accountId`, `client_reference_id` "account:<uuid>"); older ones name a user (bare
 * `client_reference_id`, `metadata.userId`), which means that user's personal account, forever: a
 * subscription bought before the change keeps syncing.
 */
export interface StripeOwner {
  accountId: string;
  /** Set when the owner was named by a user: its personal account may be made on first contact. */
  personalUserId: string | null;
}

export function ownerOfAccount(accountId: string): StripeOwner {
  return { accountId, personalUserId: null };
}

export function ownerOfUser(userId: string): StripeOwner {
  return { accountId: personalAccountId(userId), personalUserId: userId };
}

/**
 * A checkout session's client_reference_id: "account:<uuid>", or (older sessions) a user id. Tollgate
 * writes the prefix only before an account id, so a prefixed value that isn't one names nobody (never a
 * user called "account:…").
 */
export function ownerOfReference(reference: string | null): StripeOwner | null {
  const parsed = parseClientReference(reference);
  if (!parsed) return null;
  if (parsed.kind === 'account') return ownerOfAccount(parsed.id);
  return parsed.id.startsWith(ACCOUNT_REFERENCE_PREFIX) ? null : ownerOfUser(parsed.id);
}

/**
 * From Stripe metadata: the account id when present, else the user id of older objects. Metadata can
 * be edited in the dashboard: an account id that is not a UUID names no account (never a query error).
 */
export function ownerOfMetadata(metadata: {
  accountId: string | null;
  userId: string | null;
}): StripeOwner | null {
  if (metadata.accountId) return isUuid(metadata.accountId) ? ownerOfAccount(metadata.accountId) : null;
  if (metadata.userId) return ownerOfUser(metadata.userId);
  return null;
}
