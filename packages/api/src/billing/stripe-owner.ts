import { personalAccountId } from '@tollgate/db';

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

/** Checkout's client_reference_id names an account as `account:<uuid>`. */
export const ACCOUNT_REFERENCE_PREFIX = 'account:';

export function ownerOfAccount(accountId: string): StripeOwner {
  return { accountId, personalUserId: null };
}

export function ownerOfUser(userId: string): StripeOwner {
  return { accountId: personalAccountId(userId), personalUserId: userId };
}

/** A checkout session's client_reference_id: "account:<uuid>", or (older sessions) a user id. */
export function ownerOfReference(reference: string | null): StripeOwner | null {
  if (!reference) return null;
  if (reference.startsWith(ACCOUNT_REFERENCE_PREFIX)) {
    return ownerOfAccount(reference.slice(ACCOUNT_REFERENCE_PREFIX.length));
  }
  return ownerOfUser(reference);
}

/** From Stripe metadata: the account id when present, else the user id of older objects. */
export function ownerOfMetadata(metadata: {
  accountId: string | null;
  userId: string | null;
}): StripeOwner | null {
  if (metadata.accountId) return ownerOfAccount(metadata.accountId);
  if (metadata.userId) return ownerOfUser(metadata.userId);
  return null;
}
