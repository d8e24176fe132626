import type { ApiKeyScope } from './auth/api-key-format';

/**
 * Who makes a request, resolved from its bearer credential. Its own module so the authenticator, which
 * makes one, doesn't import the context, which holds the services that hold the authenticator.
 */
export type Actor =
  // No role here: platform roles live in the database and are read by the procedures that need them.
  // hostAccountId: the team account of the host organization the token names (JWT_ORG_CLAIM): the
  // account the user acts on when a call names none.
  | { kind: 'user'; userId: string; email: string | null; hostAccountId?: string | null }
  // accountId: null for a platform service key (acts for any account), set for an account's own key.
  | { kind: 'service'; apiKeyId: string; scopes: readonly ApiKeyScope[]; accountId: string | null };
