import { randomUUID } from 'node:crypto';
import { silentLogger } from '@tollgate/api';
import { grantPlatformRole, markEmailVerified, updateSubscription } from '@tollgate/db';
import { createTestDb } from '@tollgate/db/testing';
import { createTollgateClient } from '@tollgate/sdk';
import { parseEnv, startServer } from '@tollgate/server';

const OPERATOR_EMAIL = 'ops@agent-backend.test';
const PASSWORD = 'correct horse battery';
const DAY_MS = 86_400_000;

/**
 * A real Tollgate server (its production startServer) on a random port and a fresh database, plus
 * a service API key with the runs:authorize and runs:release scopes, created the way an operator does.
 */
export async function startTollgate() {
  const testDb = await createTestDb();
  const server = await startServer(
    parseEnv({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      APP_URL: 'http://app.tollgate.test',
      JWT_SECRET: 'agent-backend-example-secret-0123456789abcdef',
      LOG_REQUESTS: 'false',
      // Without a Stripe key the server starts its offline Stripe emulator: on a free port, so test
      // files running in parallel don't collide on the default one.
      STRIPE_EMULATOR_PORT: '0',
    }),
    { logger: silentLogger, db: testDb },
  );
  const anonymous = createTollgateClient({ url: server.url, getToken: () => null });
  const admin = await anonymous.trpc.auth.register.mutate({ email: OPERATOR_EMAIL, password: PASSWORD });
  // The platform operator role is granted in the database (what `npm run operator -- grant` does).
  await grantPlatformRole(server.deps.db, { userId: admin.user.id, grantedBy: 'cli', now: new Date() });
  const asAdmin = createTollgateClient({ url: server.url, getToken: () => admin.accessToken });
  const { key } = await asAdmin.trpc.apiKeys.create.mutate({
    name: 'agent backend',
    scopes: ['runs:authorize', 'runs:release', 'subscriptions:read'],
  });
  const register = async () => {
    const email = `user-${randomUUID()}@agent-backend.test`;
    return { email, ...(await anonymous.trpc.auth.register.mutate({ email, password: PASSWORD })) };
  };
  return {
    url: server.url,
    serviceKey: key,
    /**
     * A new end user, registered the way users sign up: Tollgate refuses (404 UNKNOWN_USER) a user id
     * it has never seen when it runs with built-in accounts only.
     */
    async newUserId(): Promise<string> {
      return (await register()).user.id;
    },
    /**
     * A team account made the way users make one (its owner creates it, invites a member, who joins),
     * with a paid pool of `runLimit` runs (none: no paid plan, its runs are refused with NO_PLAN).
     */
    async newTeam(runLimit?: number) {
      const [owner, member] = await Promise.all([register(), register()]);
      const asOwner = createTollgateClient({ url: server.url, getToken: () => owner.accessToken });
      // Inviting needs a verified address: the owner has clicked its sign-up link.
      await markEmailVerified(server.deps.db, owner.user.id, owner.email, new Date());
      const team = await asOwner.trpc.accounts.create.mutate({ name: 'Agents team' });
      const invitation = await asOwner.trpc.accounts.invite.mutate({
        accountId: team.id,
        email: member.email,
      });
      const asMember = createTollgateClient({ url: server.url, getToken: () => member.accessToken });
      await asMember.trpc.accounts.acceptInvitation.mutate({
        accountId: team.id,
        invitationId: invitation.id,
        token: invitation.token,
      });
      if (runLimit !== undefined) {
        // Buying TEAM goes through Stripe Checkout; the test needs only a paid pool, set directly.
        const start = new Date(Date.now() - DAY_MS);
        await updateSubscription(server.deps.db, team.id, {
          plan: 'ENTERPRISE',
          customRunLimit: runLimit,
          status: 'active',
          currentPeriodStart: start,
          currentPeriodEnd: new Date(start.getTime() + 30 * DAY_MS),
        });
      }
      return { accountId: team.id, ownerId: owner.user.id, memberId: member.user.id };
    },
    /** How much of a team's pool is used, read back from Tollgate (for one of its members). */
    async teamUsed(accountId: string, userId: string) {
      const client = createTollgateClient({ url: server.url, apiKey: key });
      return (await client.getSubscription({ accountId, userId })).usage.used;
    },
    /** How much of the FREE quota a user has used, read back from Tollgate. */
    async usedBy(userId: string) {
      const client = createTollgateClient({ url: server.url, apiKey: key });
      return (await client.getSubscription(userId)).usage.used;
    },
    async stop() {
      await server.close();
      await testDb.close();
    },
  };
}

export const newRunId = () => `run-${randomUUID()}`;
