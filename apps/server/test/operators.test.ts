import type { Logger } from '@tollgate/api';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../src/env';
import { startServer } from '../src/server';
import { registerUser, trpc, uniqueEmail, type Tokens } from './support/http';
import { grantOperator, registerOperator, registerSupport } from './support/operators';
import {
  TEST_JWT_SECRET,
  registerVerifiedUser,
  startTestServer,
  verifyEmail,
  type TestServer,
} from './support/test-server';

// An old deployment's setting: it named the address whose owner became admin. It must do nothing now.
const FORMER_ADMIN_EMAIL = 'admin@tollgate.test';
const SERVER_ENV = { ADMIN_EMAILS: FORMER_ADMIN_EMAIL };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(SERVER_ENV);
});
afterAll(() => server?.stop());
beforeEach(() => server.testDb.reset());

/** Collects what a server logs; bootstrap tokens are printed through the logger. */
function capturingLogger() {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const push = (message: string, fields: Record<string, unknown> = {}) => lines.push({ message, fields });
  const logger: Logger = { info: push, warn: push, error: push };
  const bootstrapTokens = () =>
    lines.flatMap(({ fields }) => (typeof fields.bootstrapToken === 'string' ? [fields.bootstrapToken] : []));
  return { logger, lines, bootstrapTokens };
}

/**
 * Another server process (a replica, or a restart) over the same database: it runs the same start-up,
 * so it prints its own bootstrap token while no operator exists.
 */
async function startReplica(): Promise<{ token: string | null; close(): Promise<void> }> {
  const capture = capturingLogger();
  const replica = await startServer(
    parseEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
      APP_URL: 'http://app.tollgate.test',
      LOG_REQUESTS: 'false',
      ...SERVER_ENV,
    }),
    { db: server.testDb, logger: capture.logger, billing: null },
  );
  const tokens = capture.bootstrapTokens();
  expect(tokens.length).toBeLessThanOrEqual(1);
  return { token: tokens[0] ?? null, close: () => replica.close() };
}

async function bootstrapTokens(count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const replica = await startReplica();
    await replica.close();
    if (!replica.token) throw new Error('the replica printed no bootstrap token');
    tokens.push(replica.token);
  }
  return tokens;
}

const call = (kind: 'query' | 'mutation', path: string, token: string, input?: unknown) =>
  trpc(server.url, kind, path, input, token);
const claim = (token: string, bootstrapToken: string) =>
  call('mutation', 'operators.claimBootstrap', token, { token: bootstrapToken });

describe('operator identity is not self-asserted', () => {
  it('registering an address listed in the old ADMIN_EMAILS gives no operator powers', async () => {
    const claimant = await registerUser(server.url, FORMER_ADMIN_EMAIL);
    const createKey = await call('mutation', 'apiKeys.create', claimant.accessToken, {
      name: 'mine now',
      scopes: ['runs:authorize', 'subscriptions:read'],
    });
    expect(createKey.status).toBe(403);
    expect(createKey.data).toBeUndefined();
    expect((await call('query', 'apiKeys.list', claimant.accessToken)).status).toBe(403);
    expect((await call('query', 'operators.list', claimant.accessToken)).status).toBe(403);
    expect((await call('query', 'admin.unknownPrices', claimant.accessToken)).status).toBe(403);
    expect(
      (await call('mutation', 'operators.grant', claimant.accessToken, { userId: claimant.user.id })).status,
    ).toBe(403);
    expect((await call('query', 'auth.me', claimant.accessToken)).data).toMatchObject({
      email: FORMER_ADMIN_EMAIL,
      platformRole: null,
    });
  });
});

describe('the first operator, through a one-time bootstrap token', () => {
  it('a server prints a token while no operator exists; claiming it makes the caller the operator, once', async () => {
    const [tokenA, tokenB] = await bootstrapTokens(2);
    if (!tokenA || !tokenB) throw new Error('expected two tokens');
    expect(tokenA).not.toBe(tokenB);
    const first = await registerUser(server.url);
    const second = await registerUser(server.url);

    // Not signed in, or a made-up token: refused, and nobody is operator.
    expect((await trpc(server.url, 'mutation', 'operators.claimBootstrap', { token: tokenA })).status).toBe(
      401,
    );
    expect((await claim(first.accessToken, 'tg_boot_guessed')).status).toBe(403);
    expect((await call('query', 'operators.list', first.accessToken)).status).toBe(403);

    const claimed = await claim(first.accessToken, tokenA);
    expect(claimed.status).toBe(200);
    expect(claimed.data).toMatchObject({ userId: first.user.id, grantedBy: 'bootstrap' });
    expect((await call('query', 'auth.me', first.accessToken)).data).toMatchObject({
      platformRole: 'operator',
    });
    const listed = await call('query', 'operators.list', first.accessToken);
    expect(listed.data).toEqual([
      expect.objectContaining({ userId: first.user.id, email: first.user.email }),
    ]);
    const key = await call('mutation', 'apiKeys.create', first.accessToken, {
      name: 'agent backend',
      scopes: ['runs:authorize'],
    });
    expect(key.status).toBe(200);

    // The same token again, and the other replica's unused token: both refused once an operator exists.
    const again = await claim(second.accessToken, tokenA);
    expect(again.status).toBe(409);
    const other = await claim(second.accessToken, tokenB);
    expect(other.status).toBe(409);
    expect(other.error?.message).toMatch(/operator already exists/);
    expect((await call('query', 'operators.list', second.accessToken)).status).toBe(403);
    // The first operator is the root of every later grant: its claim is in the audit log, once.
    const audit = await call('query', 'admin.auditLog', first.accessToken, {
      action: 'claim_operator_bootstrap',
    });
    expect(audit.data).toEqual([
      expect.objectContaining({
        actorUserId: first.user.id,
        actorRole: 'bootstrap',
        after: { userId: first.user.id, role: 'operator' },
      }),
    ]);

    // A server starting now prints nothing.
    const restarted = await startReplica();
    await restarted.close();
    expect(restarted.token).toBeNull();
  });

  it('claims racing with different tokens: exactly one operator', async () => {
    const tokens = await bootstrapTokens(4);
    const users = await Promise.all(tokens.map(() => registerUser(server.url)));
    const results = await Promise.all(
      users.map((user, index) => claim(user.accessToken, tokens[index] ?? '')),
    );
    expect(results.map((result) => result.status).sort()).toEqual([200, 409, 409, 409]);
    const winner = users[results.findIndex((result) => result.status === 200)];
    if (!winner) throw new Error('no winner');
    const listed = await call('query', 'operators.list', winner.accessToken);
    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).toMatchObject({ userId: winner.user.id });
  });
});

describe('granting and revoking', () => {
  it('by email only to a verified address: anyone may register a new hire’s address before they do', async () => {
    const operator = await registerOperator(server);
    const address = uniqueEmail('new-hire');
    const squatter = await registerUser(server.url, address); // never verifies: it doesn't own the address
    const byEmail = await call('mutation', 'operators.grant', operator.accessToken, {
      email: address,
      role: 'support',
    });
    expect(byEmail.status).toBe(403);
    expect(byEmail.error?.data.appCode).toBe('EMAIL_NOT_VERIFIED');
    expect(byEmail.error?.message).toMatch(/isn't verified yet/);
    expect((await call('query', 'admin.auditLog', squatter.accessToken, {})).status).toBe(403);
    // Once the address is verified (its owner clicked the link), the same grant goes through.
    await verifyEmail(server, squatter.user.id);
    const verified = await call('mutation', 'operators.grant', operator.accessToken, {
      email: address,
      role: 'support',
    });
    expect(verified.data).toMatchObject({ userId: squatter.user.id, role: 'support' });
  });

  it('an operator grants by email or id; a revocation takes effect on the next call', async () => {
    const operator = await registerOperator(server);
    const colleague = await registerVerifiedUser(server, uniqueEmail('colleague'));
    const outsider = await registerUser(server.url);

    expect((await call('query', 'apiKeys.list', colleague.accessToken)).status).toBe(403);
    const granted = await call('mutation', 'operators.grant', operator.accessToken, {
      email: colleague.user.email,
    });
    expect(granted.data).toMatchObject({ userId: colleague.user.id, grantedBy: operator.user.id });
    // The same access token, now with the role: nothing in the token changed, the database did.
    expect((await call('query', 'apiKeys.list', colleague.accessToken)).status).toBe(200);
    expect(
      (await call('mutation', 'operators.grant', operator.accessToken, { email: 'nobody@example.test' }))
        .status,
    ).toBe(404);
    expect(
      (await call('mutation', 'operators.grant', outsider.accessToken, { userId: outsider.user.id })).status,
    ).toBe(403);

    const revoked = await call('mutation', 'operators.revoke', operator.accessToken, {
      userId: colleague.user.id,
    });
    expect(revoked.status).toBe(200);
    expect((await call('query', 'apiKeys.list', colleague.accessToken)).status).toBe(403);
    expect((await call('query', 'operators.list', colleague.accessToken)).status).toBe(403);
    expect(
      (await call('mutation', 'operators.revoke', operator.accessToken, { userId: colleague.user.id }))
        .status,
    ).toBe(404);
  });

  it('a support user granted operator becomes one (it stayed support, answering 200); an operator is never demoted by a grant (409)', async () => {
    const operator = await registerOperator(server);
    const helper = await registerSupport(server);
    expect((await call('query', 'apiKeys.list', helper.accessToken)).status).toBe(403);
    const promoted = await call('mutation', 'operators.grant', operator.accessToken, {
      userId: helper.user.id,
    });
    expect(promoted.status).toBe(200);
    expect(promoted.data).toMatchObject({ userId: helper.user.id, role: 'operator' });
    expect((await call('query', 'apiKeys.list', helper.accessToken)).status).toBe(200);
    const demoted = await call('mutation', 'operators.grant', operator.accessToken, {
      userId: helper.user.id,
      role: 'support',
    });
    expect(demoted.status).toBe(409);
    expect((await call('query', 'apiKeys.list', helper.accessToken)).status).toBe(200);
  });

  it('refuses to revoke the last operator (409)', async () => {
    const operator: Tokens = await registerUser(server.url);
    await grantOperator(server, operator.user.id);
    const result = await call('mutation', 'operators.revoke', operator.accessToken, {
      userId: operator.user.id,
    });
    expect(result.status).toBe(409);
    expect((await call('query', 'operators.list', operator.accessToken)).data).toHaveLength(1);
  });

  it("grants by id to a host platform's user, whose row exists from their first request", async () => {
    const operator = await registerOperator(server);
    const grantHost = () =>
      call('mutation', 'operators.grant', operator.accessToken, { userId: 'host-ops-1' });
    expect((await grantHost()).status).toBe(404);
    const now = Math.floor(Date.now() / 1000);
    const hostToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://host.example')
      .setSubject('host-ops-1')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect((await call('query', 'operators.list', hostToken)).status).toBe(403);
    expect((await grantHost()).status).toBe(200);
    expect((await call('query', 'operators.list', hostToken)).status).toBe(200);
  });
});
