import type { Actor } from './actor';
import { clientNetworkOf } from './auth/client-network';
import { credentialProblemOf, type CredentialProblem } from './auth/credential-problem';
import type { ApiDeps } from './config';
import type { Services } from './services';

export type { Actor } from './actor';

export interface Context {
  deps: ApiDeps;
  services: Services;
  actor: Actor | null;
  /** Why `actor` is null (no credential, an expired or invalid one): words the 401. Null with an actor. */
  credentialProblem: CredentialProblem | null;
  /** The `X-Tollgate-Account` header as sent (checked by the tiers that act on an account). */
  requestedAccountId: string | null;
  /**
   * The client's network as seen through the trusted proxy (its IPv4 address, or its IPv6 /64:
   * clientNetworkOf); per-client limits key on it.
   */
  ip: string;
  requestId: string;
}

/** The header naming the account a call acts on (absent: the caller's personal account). */
export const ACCOUNT_HEADER = 'x-tollgate-account';

export interface RequestInfo {
  authorization: string | undefined;
  /** The ACCOUNT_HEADER's value. */
  account?: string | undefined;
  ip: string;
  requestId: string;
}

/** Builds the per-request context: resolves the bearer credential (JWT or service API key) once. */
export function createContextFactory(deps: ApiDeps, services: Services) {
  return async function createContext(request: RequestInfo): Promise<Context> {
    const actor = await services.authenticate(request.authorization);
    const credentialProblem = actor
      ? null
      : credentialProblemOf(request.authorization, deps.now(), deps.config.jwt.hostTokenMaxAgeSeconds);
    return {
      deps,
      services,
      actor,
      credentialProblem,
      requestedAccountId: request.account ?? null,
      ip: clientNetworkOf(request.ip),
      requestId: request.requestId,
    };
  };
}
