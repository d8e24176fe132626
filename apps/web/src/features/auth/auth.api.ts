import { toTollgateError } from '@tollgate/sdk';
import type { Api } from '../../lib/api';
import type { StoredSession } from './auth-session';

export interface Credentials {
  email: string;
  password: string;
}

/** auth.* over tRPC. Errors come out as the SDK's typed errors. */
export function createAuthApi({ client }: Api) {
  const { auth } = client.trpc;

  async function toSession(call: ReturnType<typeof auth.login.mutate>): Promise<StoredSession> {
    try {
      const tokens = await call;
      return {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        user: { id: tokens.user.id, email: tokens.user.email },
      };
    } catch (error) {
      throw toTollgateError(error);
    }
  }

  return {
    register: (credentials: Credentials) => toSession(auth.register.mutate(credentials)),
    login: (credentials: Credentials) => toSession(auth.login.mutate(credentials)),
    async logout(refreshToken: string): Promise<void> {
      await auth.logout.mutate({ refreshToken }).catch((error: unknown) => {
        throw toTollgateError(error);
      });
    },
  };
}
