import type { ApiKeyScope } from './auth/api-key-format';

/**
 * Who makes a request, resolved from its bearer credential. Its own module so the authenticator, which
 * makes one, doesn't import the context, which holds the services that hold the authenticator.
 */
export type Actor =
  // No role here: platform roles live in the database and are read by the procedures that need them.
  | { kind: 'user'; userId: string; email: string | null }
  | { kind: 'service'; apiKeyId: string; scopes: readonly ApiKeyScope[] };
