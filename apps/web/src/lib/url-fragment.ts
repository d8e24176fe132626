/**
 * One-time tokens in links (invitations, email verification, password reset) travel in the URL
 * fragment: browsers never send it to a server, so it never lands in an access log or a Referer.
 */
export function tokenFromHash(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') || null;
}
