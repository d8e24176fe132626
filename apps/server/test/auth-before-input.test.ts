import { randomUUID } from 'node:crypto';
import { appRouter, signAccessToken } from '@tollgate/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server';

/** The only procedures anyone may call without a credential. */
const PUBLIC_PROCEDURES = new Set([
  'auth.register',
  'auth.login',
  'auth.refresh',
  'auth.logout',
  // The emailed links work without signing in (the token is the credential), and a reset is asked
  // for by someone who can't sign in.
  'auth.verifyEmail',
  'auth.requestPasswordReset',
  'auth.resetPassword',
  'billing.plans',
]);

/** Inputs no procedure accepts: each would be a 400 if the input were validated first. */
const BAD_INPUTS: unknown[] = [
  'not an object',
  [1, 2, 3],
  { userId: 42, runId: ['x'], sessionId: {}, id: 7, email: 9, plan: 'GOLD', token: false, name: null },
];

const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
)
  .filter(([name]) => !PUBLIC_PROCEDURES.has(name))
  .map(([name, procedure]) => ({ name, isQuery: procedure._def.type === 'query' }));

let server: TestServer;
let expiredToken: string;
let foreignToken: string;

beforeAll(async () => {
  server = await startTestServer();
  const jwt = server.deps.config.jwt;
  const user = { id: 'someone', email: null };
  // Issued two days ago: long expired (access tokens live ACCESS_TOKEN_TTL_SECONDS, 900 s here).
  expiredToken = await signAccessToken(jwt, user, randomUUID(), new Date(Date.now() - 2 * 86_400_000));
  // Well-formed and current, but signed with another secret.
  foreignToken = await signAccessToken(
    { ...jwt, secret: 'another-secret-that-is-at-least-32-characters' },
    user,
    randomUUID(),
    new Date(),
  );
});
afterAll(() => server?.stop());

async function callProcedure(name: string, isQuery: boolean, input: unknown, token?: string) {
  const encoded = input === undefined ? undefined : JSON.stringify(input);
  const query = isQuery && encoded !== undefined ? `?input=${encodeURIComponent(encoded)}` : '';
  const response = await fetch(`${server.url}/api/trpc/${name}${query}`, {
    method: isQuery ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(isQuery || encoded === undefined ? {} : { body: encoded }),
  });
  const body = (await response.json()) as { error?: { message: string; data: { code: string } } };
  return { status: response.status, code: body.error?.data.code, message: body.error?.message };
}

describe('authentication is decided before input validation', () => {
  it('covers every procedure that needs a credential', () => {
    expect(procedures.length).toBeGreaterThan(20);
    expect(procedures.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'usage.authorize',
        'usage.start',
        'usage.release',
        'billing.subscription',
        'sessions.run',
      ]),
    );
  });

  it('answers 401 without a credential, whatever the input, on every procedure tier', async () => {
    const answers = await Promise.all(
      procedures.flatMap(({ name, isQuery }) =>
        BAD_INPUTS.map(async (input) => ({ name, input, ...(await callProcedure(name, isQuery, input)) })),
      ),
    );
    expect(answers.filter((answer) => answer.status !== 401)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.code))).toEqual(new Set(['UNAUTHORIZED']));
  });

  it('answers 401 without a credential on REST too, before the adapter checks the body', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}/api/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const authorize = await post('/usage/authorize', { userId: 42, runId: ['x'] });
    expect(authorize.status).toBe(401);
    // Both spellings of one field is the adapter's own 400, but only for a caller who may call at all.
    const checkout = await post('/billing/create-checkout-session', {
      plan: 'PRO',
      success_url: 'http://app.tollgate.test/a',
      successUrl: 'http://app.tollgate.test/b',
    });
    expect(checkout.status).toBe(401);
  });
});

describe('a refused credential says why', () => {
  it.each([
    ['usage.authorize', false],
    ['billing.subscription', true],
    ['sessions.list', true],
    ['operators.list', true],
  ])('%s: an expired token is told it expired, a forged one that it is invalid', async (name, isQuery) => {
    const expired = await callProcedure(name, isQuery, BAD_INPUTS[2], expiredToken);
    expect(expired).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      message: expect.stringMatching(/expired/),
    });
    const forged = await callProcedure(name, isQuery, BAD_INPUTS[2], foreignToken);
    expect(forged).toMatchObject({ status: 401, message: expect.stringMatching(/invalid/) });
    expect(forged.message).not.toMatch(/service API key/);
    const garbage = await callProcedure(name, isQuery, BAD_INPUTS[2], 'not-even-a-jwt');
    expect(garbage).toMatchObject({ status: 401, message: expect.stringMatching(/invalid/) });
  });

  it('an unknown or revoked API key is told so', async () => {
    const answer = await callProcedure(
      'usage.authorize',
      false,
      { userId: 'u', runId: 'r' },
      `tg_sk_${'x'.repeat(43)}`,
    );
    expect(answer).toMatchObject({ status: 401, message: 'This API key is invalid or has been revoked' });
  });

  it('no credential at all keeps the messages callers know', async () => {
    expect(await callProcedure('sessions.list', true, undefined)).toMatchObject({
      status: 401,
      message: 'Sign in first',
    });
    expect(await callProcedure('usage.release', false, { userId: 'u', runId: 'r' })).toMatchObject({
      status: 401,
      message: 'A service API key is required',
    });
    expect(await callProcedure('usage.authorize', false, { runId: 'r' })).toMatchObject({
      status: 401,
      message: 'Sign in, or send a service API key',
    });
  });
});
