import { randomUUID } from 'node:crypto';
import { silentLogger, type ApiKeyScope } from '@tollgate/api';
import { grantPlatformRole, markEmailVerified, updateSubscription } from '@tollgate/db';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import { parseEnv, startServer, type RunningServer } from '@tollgate/server';
import { createTollgateClient } from '../../src';

const OPERATOR_EMAIL = 'operator@tollgate.test';
const PASSWORD = 'correct horse battery';
export const APP_URL = 'http://app.tollgate.test';
const DAY_MS = 86_400_000;

type Scope = ApiKeyScope;

export interface SignedInUser {
  id: string;
  email: string;
  accessToken: string;
  refreshToken: string;
}

export interface TestTollgate {
  url: string;
  server: RunningServer;
  registerUser(): Promise<SignedInUser>;
  createApiKey(scopes: Scope[]): Promise<{ id: string; key: string }>;
  revokeApiKey(id: string): Promise<void>;
  /**
   * A team account created by `owner` over tRPC, with each of `members` invited and joined (role
   * `member`); no paid plan yet (its runs are refused with NO_PLAN until `giveTeamPool`).
   */
  createTeam(owner: SignedInUser, members: readonly SignedInUser[]): Promise<string>;
  /** Gives the account a paid pool of `limit` runs for a period around now (ENTERPRISE, custom limit). */
  giveTeamPool(accountId: string, limit: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Tollgate server (the same startServer as production) on a random port, with its own database:
 * in-memory PGlite, or a fresh database on the server named by DATABASE_URL.
 */
export async function startTestTollgate(): Promise<TestTollgate> {
  const testDb: TestDbHandle = await createTestDb();
  const env = parseEnv({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    APP_URL,
    JWT_SECRET: 'sdk-test-secret-that-is-long-enough-0123456789',
    LOG_REQUESTS: 'false',
    // Without a Stripe key the server starts its offline Stripe emulator: on a free port, so test
    // files running in parallel don't collide on the default one.
    STRIPE_EMULATOR_PORT: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    // A host platform vouches for users (its issuer is configured), so the user ids the tests' services
    // name are created on first use; without one an unregistered id is a 404 UNKNOWN_USER.
    JWT_ISSUER: 'sdk-test-host',
  });
  const server = await startServer(env, { logger: silentLogger, db: testDb });
  const anonymous = createTollgateClient({ url: server.url, getToken: () => null });

  const register = async (email: string): Promise<SignedInUser> => {
    const tokens = await anonymous.trpc.auth.register.mutate({ email, password: PASSWORD });
    return { id: tokens.user.id, email, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
  };
  // API keys are managed by platform operators: the role is granted in the database, as the CLI does.
  const admin = await register(OPERATOR_EMAIL);
  await grantPlatformRole(server.deps.db, { userId: admin.id, grantedBy: 'cli', now: new Date() });
  const asAdmin = createTollgateClient({ url: server.url, getToken: () => admin.accessToken });

  return {
    url: server.url,
    server,
    registerUser: () => register(`user-${randomUUID()}@tollgate.test`),
    async createApiKey(scopes) {
      const created = await asAdmin.trpc.apiKeys.create.mutate({ name: `sdk test ${randomUUID()}`, scopes });
      return { id: created.id, key: created.key };
    },
    async revokeApiKey(id) {
      await asAdmin.trpc.apiKeys.revoke.mutate({ id });
    },
    async createTeam(owner, members) {
      const asOwner = createTollgateClient({ url: server.url, getToken: () => owner.accessToken });
      // Inviting needs a verified address: the owner has clicked its sign-up link.
      await markEmailVerified(server.deps.db, owner.id, owner.email, new Date());
      const team = await asOwner.trpc.accounts.create.mutate({ name: `Team ${randomUUID()}` });
      for (const member of members) {
        const invitation = await asOwner.trpc.accounts.invite.mutate({
          accountId: team.id,
          email: member.email,
          role: 'member',
        });
        const asMember = createTollgateClient({ url: server.url, getToken: () => member.accessToken });
        await asMember.trpc.accounts.acceptInvitation.mutate({
          accountId: team.id,
          invitationId: invitation.id,
          token: invitation.token,
        });
      }
      return team.id;
    },
    async giveTeamPool(accountId, limit) {
      // Paying for TEAM goes through Stripe Checkout; these tests need only a paid pool, set directly.
      const start = new Date(Date.now() - DAY_MS);
      const row = await updateSubscription(server.deps.db, accountId, {
        plan: 'ENTERPRISE',
        customRunLimit: limit,
        status: 'active',
        currentPeriodStart: start,
        currentPeriodEnd: new Date(start.getTime() + 30 * DAY_MS),
      });
      if (!row) throw new Error(`no subscription row for account ${accountId}`);
    },
    async stop() {
      await server.close();
      await testDb.close();
    },
  };
}

export function newRunId(): string {
  return `run-${randomUUID()}`;
}

/** A user id a service names: any string works, Tollgate creates the FREE account on first use. */
export function newServiceUserId(): string {
  return `svc-user-${randomUUID()}`;
}
