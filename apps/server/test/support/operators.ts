import type { ApiKeyScope } from '@tollgate/api';
import { grantPlatformRole, type Database } from '@tollgate/db';
import { registerUser, trpc, uniqueEmail, type Tokens } from './http';
import { registerVerifiedUser, type TestServer } from './test-server';

/**
 * Makes a user a platform operator directly in the test database (what `npm run operator -- grant`
 * does), for tests whose subject is not how the role is obtained.
 */
export async function grantOperator(server: { deps: { db: Database } }, userId: string): Promise<void> {
  const granted = await grantPlatformRole(server.deps.db, { userId, grantedBy: 'cli', now: new Date() });
  if (!granted) throw new Error(`grantOperator: no user ${userId}`);
}

/** A newly registered built-in account holding the operator role. */
export async function registerOperator(
  server: { url: string; deps: { db: Database } },
  email = uniqueEmail('operator'),
): Promise<Tokens> {
  const tokens = await registerUser(server.url, email);
  await grantOperator(server, tokens.user.id);
  return tokens;
}

/** A newly registered, verified user holding the support role (granted as the CLI does). */
export async function registerSupport(server: {
  url: string;
  testDb: TestServer['testDb'];
  deps: { db: Database };
}): Promise<Tokens> {
  const tokens = await registerVerifiedUser(server);
  await grantPlatformRole(server.deps.db, {
    userId: tokens.user.id,
    role: 'support',
    grantedBy: 'cli',
    now: new Date(),
  });
  return tokens;
}

/**
 * A platform API key with `scopes`, made through `apiKeys.create` by a newly registered operator: what
 * a host's service (an agent backend) calls the run procedures with.
 */
export async function operatorServiceKey(
  server: { url: string; deps: { db: Database } },
  name: string,
  scopes: readonly string[],
): Promise<string> {
  const operator = await registerOperator(server);
  const created = await trpc<{ key: string }>(
    server.url,
    'mutation',
    'apiKeys.create',
    { name, scopes },
    operator.accessToken,
  );
  if (!created.data) throw new Error(JSON.stringify(created.error));
  return created.data.key;
}

/**
 * A platform key made through the service by a newly registered operator (a platform key works only
 * while its maker is one), with its id, for tests that hold a service's key without going over HTTP.
 */
export async function newOperatorKey(
  server: Pick<TestServer, 'url' | 'deps' | 'services'>,
  name: string,
  scopes: ApiKeyScope[],
): Promise<{ id: string; key: string }> {
  const operator = await registerOperator(server);
  return server.services.apiKeys.create({ name, scopes, createdByUserId: operator.user.id });
}
