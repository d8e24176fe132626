import { randomUUID } from 'node:crypto';
import { silentLogger } from '@tollgate/api';
import { grantPlatformRole } from '@tollgate/db';
import { createTestDb } from '@tollgate/db/testing';
import { createTollgateClient } from '@tollgate/sdk';
import { parseEnv, startServer } from '@tollgate/server';

const OPERATOR_EMAIL = 'ops@agent-backend.test';
const PASSWORD = 'correct horse battery';

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
  return {
    url: server.url,
    serviceKey: key,
    /**
     * A new end user, registered the way users sign up: Tollgate refuses (404 UNKNOWN_USER) a user id
     * it has never seen when it runs with built-in accounts only.
     */
    async newUserId(): Promise<string> {
      const registered = await anonymous.trpc.auth.register.mutate({
        email: `user-${randomUUID()}@agent-backend.test`,
        password: PASSWORD,
      });
      return registered.user.id;
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
