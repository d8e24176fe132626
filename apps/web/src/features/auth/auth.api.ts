import { toTollgateError, type RouterOutputs } from '@tollgate/sdk';
import type { Api } from '../../lib/api';
import type { StoredSession } from './auth-session';

/** 'operator' for platform operators, else null: granted in the database, never self-asserted. */
export type PlatformRole = RouterOutputs['auth']['me']['platformRole'];

/** auth.me: an email counts only once verified (host-platform users always are). */
export type Me = RouterOutputs['auth']['me'] & { emailVerified: boolean };

export interface Credentials {
  email: string;
  password: string;
}

/** The contract of the email flows (auth.resendVerification, verifyEmail, password reset). */
export interface ResendResult {
  /** false: the address was verified already, nothing was sent. */
  sent: boolean;
}
export interface VerifyResult {
  verified: true;
  email: string;
}

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toTollgateError(error);
  }
}

/** auth.* over tRPC. Errors come out as the SDK's typed errors. */
export function createAuthApi({ client }: Api) {
  const { auth } = client.trpc;

  async function toSession(promise: ReturnType<typeof auth.login.mutate>): Promise<StoredSession> {
    const tokens = await call(promise);
    return {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      user: { id: tokens.user.id, email: tokens.user.email },
    };
  }

  return {
    register: (credentials: Credentials) => toSession(auth.register.mutate(credentials)),
    login: (credentials: Credentials) => toSession(auth.login.mutate(credentials)),
    me: async (): Promise<Me> => call(auth.me.query()),
    async logout(refreshToken: string): Promise<void> {
      await call(auth.logout.mutate({ refreshToken }));
    },
    /** Rate-limited: TOO_MANY_REQUESTS with `retryAfterSeconds` in the error's data. */
    resendVerification: (): Promise<ResendResult> => call(auth.resendVerification.mutate()),
    /** A bad, expired or used token: BAD_REQUEST with code TOKEN_INVALID. */
    verifyEmail: (token: string): Promise<VerifyResult> => call(auth.verifyEmail.mutate({ token })),
    /** Always accepted: the answer never tells whether an account has that address. */
    async requestPasswordReset(email: string): Promise<void> {
      await call(auth.requestPasswordReset.mutate({ email }));
    },
    /** Revokes every session of the user on success: they sign in again with the new password. */
    async resetPassword(token: string, password: string): Promise<void> {
      await call(auth.resetPassword.mutate({ token, password }));
    },
  };
}

export type AuthApi = ReturnType<typeof createAuthApi>;
