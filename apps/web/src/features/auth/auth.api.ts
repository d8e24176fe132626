import { toTollgateError, type RouterOutputs } from '@tollgate/sdk';
import type { Api } from '../../lib/api';
import type { StoredSession } from './auth-session';

/** 'operator' for platform operators, else null: granted in the database, never self-asserted. */
export type PlatformRole = RouterOutputs['auth']['me']['platformRole'];

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
    async platformRole(): Promise<PlatformRole> {
      try {
        return (await auth.me.query()).platformRole;
      } catch (error) {
        throw toTollgateError(error);
      }
    },
    async logout(refreshToken: string): Promise<void> {
      await auth.logout.mutate({ refreshToken }).catch((error: unknown) => {
        throw toTollgateError(error);
      });
    },
  };
}
