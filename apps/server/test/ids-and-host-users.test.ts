import { API_KEY_SCOPES } from '@tollgate/api';
import { apiKeys, findUserById, users } from '@tollgate/db';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerUser, request, trpc, uniqueEmail } from './support/http';
import { registerOperator } from './support/operators';
import { TEST_JWT_SECRET, startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());
beforeEach(() => server.testDb.reset());

/** A service API key with every scope, made by a fresh operator. */
async function serviceKey(): Promise<string> {
  const operator = await registerOperator(server);
  const created = await trpc<{ key: string }>(
    server.url,
    'mutation',
    'apiKeys.create',
    { name: 'all scopes', scopes: [...API_KEY_SCOPES] },
    operator.accessToken,
  );
  if (!created.data) throw new Error(`apiKeys.create failed: ${JSON.stringify(created.error)}`);
  return created.data.key;
}

const hostToken = (claims: JWTPayload) => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'https://host.example', iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
};

// Lone UTF-16 surrogates have no UTF-8 form: the driver would write each as U+FFFD, so `\ud800` and
// `\udfff` would be one account. JSON carries them as escapes, which JSON.stringify writes as such.
const LONE_SURROGATES = ['\ud800', '\udfff', 'user-\udbff', '\udc00-user', 'a\ud800b'];

describe('ids that are not well-formed Unicode → 400, and nothing stored', () => {
  it('usage.authorize / billing.subscription for such a userId (service key), over tRPC and REST', async () => {
    const key = await serviceKey();
    for (const userId of LONE_SURROGATES) {
      const authorize = await trpc(server.url, 'mutation', 'usage.authorize', { userId, runId: 'r-1' }, key);
      expect(authorize.status, JSON.stringify(userId)).toBe(400);
      expect(authorize.error?.message).toContain('well-formed Unicode');
      const subscription = await trpc(server.url, 'query', 'billing.subscription', { userId }, key);
      expect(subscription.status).toBe(400);
      const rest = await request(server.url, 'POST', '/api/v1/usage/authorize', {
        token: key,
        body: { userId, runId: 'r-1' },
      });
      expect(rest.status).toBe(400);
    }
    // Only the operator exists: no account was made for any of them (not even one stored as U+FFFD).
    expect(await server.testDb.db.$count(users)).toBe(1);
  });

  it('stored text (a session title, a key name) and passwords with lone surrogates → 400', async () => {
    const user = await registerUser(server.url);
    const session = await trpc(
      server.url,
      'mutation',
      'sessions.create',
      { title: 'x\ud800' },
      user.accessToken,
    );
    expect(session.status).toBe(400);
    const register = await trpc(server.url, 'mutation', 'auth.register', {
      email: uniqueEmail(),
      password: 'password-\udfff',
    });
    expect(register.status).toBe(400);
    const operator = await registerOperator(server);
    const keyName = await trpc(
      server.url,
      'mutation',
      'apiKeys.create',
      { name: '\udfff', scopes: ['runs:authorize'] },
      operator.accessToken,
    );
    expect(keyName.status).toBe(400);
    expect(await server.testDb.db.$count(apiKeys)).toBe(0);
  });

  it('a host token whose sub is not a storable id (lone surrogate, NUL, too long) → 401, no row', async () => {
    for (const sub of ['\ud800', '\udfff', 'host\u0000user', 'h'.repeat(201)]) {
      const token = await hostToken({ sub });
      const me = await trpc(server.url, 'query', 'auth.me', undefined, token);
      expect(me.status, JSON.stringify(sub)).toBe(401);
    }
    expect(await server.testDb.db.$count(users)).toBe(0);
  });
});

describe('a host platform user with no users row yet', () => {
  it('claims the operator role on their first request, then creates an API key (no 500)', async () => {
    const issued = await server.services.operators.issueBootstrapToken();
    if (!issued) throw new Error('no bootstrap token issued');
    const token = await hostToken({ sub: 'host-first-operator' });
    expect(await findUserById(server.deps.db, 'host-first-operator')).toBeNull();

    const claim = await trpc(
      server.url,
      'mutation',
      'operators.claimBootstrap',
      { token: issued.token },
      token,
    );
    expect(claim.status).toBe(200);
    const created = await trpc<{ key: string }>(
      server.url,
      'mutation',
      'apiKeys.create',
      { name: 'host operator key', scopes: ['runs:authorize'] },
      token,
    );
    expect(created.status).toBe(200);
    const [row] = await server.testDb.db.select().from(apiKeys);
    expect(row?.createdByUserId).toBe('host-first-operator');
  });

  it('can make any user call as their first request: each answers below 500 and leaves a host row', async () => {
    const calls: [kind: 'query' | 'mutation', path: string, input?: unknown][] = [
      ['mutation', 'sessions.create', { title: 'first' }],
      ['query', 'sessions.list'],
      ['mutation', 'billing.activateTrial'],
      ['query', 'billing.subscription'],
      ['mutation', 'usage.authorize', { runId: 'first-run' }],
      ['mutation', 'usage.start', { runId: 'never-reserved' }],
      ['mutation', 'operators.claimBootstrap', { token: 'not-a-token' }],
      ['query', 'operators.list'],
      ['mutation', 'apiKeys.create', { name: 'k', scopes: ['runs:authorize'] }],
    ];
    for (const [index, [kind, path, input]] of calls.entries()) {
      const sub = `host-first-${index}`;
      const result = await trpc(server.url, kind, path, input, await hostToken({ sub }));
      expect(result.status, `${path}: ${JSON.stringify(result.error)}`).toBeLessThan(500);
      expect((await findUserById(server.deps.db, sub))?.authSource).toBe('host');
    }
  });

  it('a service acting for a user id never seen, with no host issuer configured: 404, nothing created', async () => {
    // This server accepts HS256 host tokens but names no JWT_ISSUER: users are created by their own
    // first token, never by a service naming them (unknown-users.test.ts has the JWT_ISSUER case).
    const key = await serviceKey();
    const authorize = await trpc(
      server.url,
      'mutation',
      'usage.authorize',
      { userId: 'host-via-service', runId: 'svc-1' },
      key,
    );
    expect(authorize).toMatchObject({ status: 404, error: { data: { appCode: 'UNKNOWN_USER' } } });
    const subscription = await trpc(
      server.url,
      'query',
      'billing.subscription',
      { userId: 'host-via-service-2' },
      key,
    );
    expect(subscription.status).toBe(404);
    expect(await findUserById(server.deps.db, 'host-via-service')).toBeNull();
  });
});
