import { tokenFromHash } from '../../lib/url-fragment';

/**
 * An invitation link: `/invitations/accept?account=…&invitation=…#token=…`. The token travels in the
 * fragment (never sent to a server, so never in an access log); while the user signs in or signs up it
 * waits in this tab's sessionStorage, so it never lands in a `?redirect=` query either.
 */
export interface InvitationLink {
  accountId: string;
  invitationId: string;
  token: string | null;
}

const KEY_PREFIX = 'tollgate.invitation.';

function first(value: unknown): string | null {
  const candidate = Array.isArray(value) ? value[0] : value;
  return typeof candidate === 'string' && candidate !== '' ? candidate : null;
}

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** Reads the link from the route; a token in the fragment is kept for this tab. */
export function readInvitationLink(query: Record<string, unknown>, hash: string): InvitationLink | null {
  const accountId = first(query.account);
  const invitationId = first(query.invitation);
  if (!accountId || !invitationId) return null;
  const fromHash = tokenFromHash(hash);
  if (fromHash) storage()?.setItem(KEY_PREFIX + invitationId, fromHash);
  return {
    accountId,
    invitationId,
    token: fromHash ?? storage()?.getItem(KEY_PREFIX + invitationId) ?? null,
  };
}

export function forgetInvitationToken(invitationId: string): void {
  storage()?.removeItem(KEY_PREFIX + invitationId);
}

/** The link without its token: where sign-in and sign-up send the user back to. */
export function acceptPath(link: Pick<InvitationLink, 'accountId' | 'invitationId'>): string {
  const query = new URLSearchParams({ account: link.accountId, invitation: link.invitationId });
  return `/invitations/accept?${query.toString()}`;
}
