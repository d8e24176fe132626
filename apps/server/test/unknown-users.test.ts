import { API_KEY_SCOPES } from '@tollgate/api';
import { findUserById, users } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, request, trpc } from './support/http';
import { registerOperator } from './support/operators';
import { startTestServer, type TestServer } from './support/test-server';

/** A service API key with every scope, made by a fresh operator of `server`. */
async function serviceKey(server: TestServer): Promise<string> {
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

async function userCount(server: TestServer): Promise<number> {
  return (await server.deps.db.select().from(users)).length;
}

describe('built-in accounts only (no host issuer): a service naming an unknown user id', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer();
    key = await serviceKey(server);
  });
  afterAll(() => server?.stop());

  it('gets 404 UNKNOWN_USER from every acting-for-a-user route, REST and tRPC, and creates nothing', async () => {
    const before = await userCount(server);
    const unknown = '4f1c…'; // the kind of placeholder a copied example sends
    const body = { userId: unknown, runId: 'typo-1' };
    for (const path of ['/usage/authorize', '/usage/start', '/usage/release']) {
      const answer = await request<{ error: { code: string; message: string } }>(
        server.url,
        'POST',
        `/api/v1${path}`,
        { token: key, body },
      );
      expect(answer.status, path).toBe(404);
      expect(answer.body.error.code, path).toBe('UNKNOWN_USER');
      expect(answer.body.error.message, path).toMatch(/Unknown user/);
    }
    const subscription = await request<{ error: { code: string } }>(
      server.url,
      'GET',
      `/api/v1/billing/subscription?userId=${encodeURIComponent(unknown)}`,
      { token: key },
    );
    expect(subscription).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_USER' } } });
    for (const [kind, path] of [
      ['mutation', 'usage.authorize'],
      ['mutation', 'usage.start'],
      ['mutation', 'usage.release'],
      ['query', 'billing.subscription'],
    ] as const) {
      const answer = await trpc(
        server.url,
        kind,
        path,
        path.startsWith('usage') ? body : { userId: unknown },
        key,
      );
      expect(answer.status, path).toBe(404);
      expect(answer.error?.data.appCode, path).toBe('UNKNOWN_USER');
    }
    expect(await findUserById(server.deps.db, unknown)).toBeNull();
    expect(await userCount(server)).toBe(before);
  });

  it('matches ids byte for byte: another case or a trailing space is another (unknown) id', async () => {
    const { user } = await registerUser(server.url);
    for (const userId of [user.id.toUpperCase(), `${user.id} `, ` ${user.id}`]) {
      const answer = await request(server.url, 'POST', '/api/v1/usage/authorize', {
        token: key,
        body: { userId, runId: 'case-1' },
      });
      expect(answer.status, JSON.stringify(userId)).toBe(404);
    }
  });

  it('a registered user works as before (authorize, start, release, subscription)', async () => {
    const { user } = await registerUser(server.url);
    const call = (path: string, runId: string) =>
      request<Record<string, unknown>>(server.url, 'POST', `/api/v1${path}`, {
        token: key,
        body: { userId: user.id, runId },
      });
    expect((await call('/usage/authorize', 'known-1')).status).toBe(200);
    expect((await call('/usage/start', 'known-1')).body).toMatchObject({ state: 'started' });
    expect((await call('/usage/authorize', 'known-2')).status).toBe(200);
    expect((await call('/usage/release', 'known-2')).body).toMatchObject({ released: true });
    const subscription = await request<{ usage: { used: number } }>(
      server.url,
      'GET',
      `/api/v1/billing/subscription?userId=${user.id}`,
      { token: key },
    );
    expect(subscription.status).toBe(200);
    expect(subscription.body.usage.used).toBe(1);
  });

  it('a user token acting for itself is unaffected, and still 403 for another (unknown) id', async () => {
    const { accessToken } = await registerUser(server.url);
    const own = await request(server.url, 'POST', '/api/v1/usage/authorize', {
      token: accessToken,
      body: { runId: 'self-1' },
    });
    expect(own.status).toBe(200);
    const other = await request(server.url, 'POST', '/api/v1/usage/authorize', {
      token: accessToken,
      body: { userId: 'someone-else', runId: 'self-2' },
    });
    expect(other.status).toBe(403);
  });
});

describe("a host platform's issuer configured: its users are created on first use", () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({ JWT_ISSUER: 'https://host.example' });
    key = await serviceKey(server);
  });
  afterAll(() => server?.stop());

  it('an id that is not UTF-8 is refused (400), never stored as something else', async () => {
    // 0xff is no UTF-8: a decoder would make it U+FFFD, and every such id one account.
    const body = Buffer.concat([
      Buffer.from('{"userId":"host-'),
      Buffer.from([0xff]),
      Buffer.from('","runId":"bytes-1"}'),
    ]);
    for (const path of ['/api/v1/usage/authorize', '/api/trpc/usage.authorize']) {
      const answer = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
      expect(answer.status, path).toBe(400);
    }
    expect(await findUserById(server.deps.db, 'host-\ufffd')).toBeNull();
  });

  it('a service naming a user id never seen: authorize and subscription answer 200 and create it', async () => {
    const authorize = await request(server.url, 'POST', '/api/v1/usage/authorize', {
      token: key,
      body: { userId: 'host-user-1', runId: 'first' },
    });
    expect(authorize.status).toBe(200);
    expect((await findUserById(server.deps.db, 'host-user-1'))?.authSource).toBe('host');
    const subscription = await trpc(
      server.url,
      'query',
      'billing.subscription',
      { userId: 'host-user-2' },
      key,
    );
    expect(subscription.status).toBe(200);
    expect((await findUserById(server.deps.db, 'host-user-2'))?.authSource).toBe('host');
  });
});
