import { createServer, connect, type Server, type Socket } from 'node:net';
import { signAccessToken, silentLogger } from '@tollgate/api';
import { createDb, ensureUser, insertApiKey, type DbHandle } from '@tollgate/db';
import { createScratchDatabase, testPostgresServerUrl, type ScratchDatabase } from '@tollgate/db/testing';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../src/env';
import { startServer, type RunningServer } from '../src/server';
import { TEST_JWT_SECRET } from './support/test-server';

/** What a client sees: status, Retry-After and the JSON body. */
async function call(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the test shows the text.
  }
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
}

const json = (token: string, body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify(body),
});

/**
 * Between the server's pool and PostgreSQL: forwards while up; while down, every connection (open or
 * new) is cut at once, as when PostgreSQL stops.
 */
async function startSwitchableProxy(upstream: { host: string; port: number } | null) {
  let isUp = upstream !== null;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (!isUp || !upstream) return void client.destroy();
    const backend = connect(upstream.port, upstream.host);
    sockets.add(backend);
    backend.on('close', () => sockets.delete(backend));
    client.pipe(backend).pipe(client);
    const closeBoth = () => {
      client.destroy();
      backend.destroy();
    };
    for (const socket of [client, backend]) socket.on('error', closeBoth).on('close', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    down() {
      isUp = false;
      sockets.forEach((socket) => socket.destroy());
    },
    up() {
      isUp = upstream !== null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

async function startOver(db: DbHandle): Promise<RunningServer> {
  return startServer(
    parseEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
      // A host platform's users: the first authorize for a user id creates it (one account per run
      // below); with built-in accounts only an unknown id would be a 404 UNKNOWN_USER.
      JWT_ISSUER: 'https://host.example',
      APP_URL: 'http://app.tollgate.test',
      LOG_REQUESTS: 'false',
    }),
    { db, logger: silentLogger, billing: null },
  );
}

function expectUnavailable(result: Awaited<ReturnType<typeof call>>) {
  expect(result.status).toBe(503);
  expect(Number(result.retryAfter)).toBeGreaterThan(0);
}

describe('a server whose database is unreachable', () => {
  let proxy: Awaited<ReturnType<typeof startSwitchableProxy>>;
  let db: DbHandle;
  let server: RunningServer;
  let userToken: string;

  beforeAll(async () => {
    // Nothing behind it: every connection is refused the moment it opens.
    proxy = await startSwitchableProxy(null);
    db = await createDb({ databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/gone`, migrate: false });
    server = await startOver(db);
    // Tollgate's own token: its signature is checked without the database, its session with it.
    const sessionId = randomUUID();
    userToken = await signAccessToken(
      server.deps.config.jwt,
      { id: 'user-1', email: null },
      sessionId,
      new Date(),
    );
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
    await proxy?.close();
  });

  it('answers 503 + Retry-After on REST when the credential check needs the database', async () => {
    const result = await call(
      `${server.url}/api/v1/usage/authorize`,
      json('tg_sk_thisKeyCantBeCheckedWithoutTheDatabase0000000', { userId: 'u', runId: 'r' }),
    );
    expectUnavailable(result);
    expect(result.body).toEqual({
      error: {
        code: 'SERVICE_UNAVAILABLE',
        message: 'The service is temporarily unavailable; retry shortly',
      },
    });
  });

  it('answers SERVICE_UNAVAILABLE (503 + Retry-After) on tRPC when the credential check needs the database', async () => {
    const result = await call(
      `${server.url}/api/trpc/usage.authorize`,
      json('tg_sk_thisKeyCantBeCheckedWithoutTheDatabase0000000', { userId: 'u', runId: 'r' }),
    );
    expectUnavailable(result);
    expect(result.body).toMatchObject({
      error: {
        data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 },
        message: expect.stringMatching(/retry/),
      },
    });
  });

  it('answers 503 + Retry-After on both transports when the procedure itself needs the database', async () => {
    const rest = await call(`${server.url}/api/v1/usage/authorize`, json(userToken, { runId: 'run-1' }));
    expectUnavailable(rest);
    expect(rest.body).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    const trpc = await call(`${server.url}/api/trpc/usage.authorize`, json(userToken, { runId: 'run-1' }));
    expectUnavailable(trpc);
    expect(trpc.body).toMatchObject({ error: { data: { code: 'SERVICE_UNAVAILABLE' } } });
    const login = await call(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.test', password: 'correct horse battery' }),
    });
    expectUnavailable(login);
  });

  it('reports not ready while it keeps serving what needs no database', async () => {
    expect(await call(`${server.url}/api/v1/health/ready`)).toMatchObject({
      status: 503,
      body: { status: 'database_unreachable' },
    });
    expect((await call(`${server.url}/api/v1/health`)).status).toBe(503);
    expect((await call(`${server.url}/api/v1/health/live`)).status).toBe(200);
    expect((await call(`${server.url}/api/trpc/billing.plans`)).status).toBe(200);
  });
});

const serverUrl = testPostgresServerUrl();
if (serverUrl) {
  describe('PostgreSQL that goes away and comes back (no restart of the server)', () => {
    let scratch: ScratchDatabase;
    let proxy: Awaited<ReturnType<typeof startSwitchableProxy>>;
    let db: DbHandle;
    let server: RunningServer;
    let apiKey: string;

    beforeAll(async () => {
      scratch = await createScratchDatabase(serverUrl);
      const direct = await createDb({ databaseUrl: scratch.url });
      try {
        const owner = await ensureUser(direct.db, 'key-owner');
        apiKey = `tg_sk_${randomBytes(32).toString('base64url')}`;
        await insertApiKey(direct.db, {
          name: 'outage test',
          prefix: apiKey.slice(0, 12),
          keyHash: createHash('sha256').update(apiKey).digest('hex'),
          scopes: ['runs:authorize'],
          createdByUserId: owner.id,
        });
      } finally {
        await direct.close();
      }
      const target = new URL(scratch.url);
      proxy = await startSwitchableProxy({ host: target.hostname, port: Number(target.port || 5432) });
      const viaProxy = new URL(scratch.url);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      db = await createDb({ databaseUrl: viaProxy.toString(), migrate: false, poolTimeoutMs: 1000 });
      server = await startOver(db);
    });
    afterAll(async () => {
      await server?.close();
      await db?.close();
      await proxy?.close();
      await scratch?.drop();
    });

    // One account per run: the FREE limit (10) stays out of the way.
    const authorize = (runId: string) =>
      call(`${server.url}/api/v1/usage/authorize`, json(apiKey, { userId: `user-${runId}`, runId }));

    it('answers 503 + Retry-After while it is gone, then serves again by itself', async () => {
      expect((await authorize('before')).status).toBe(200);

      proxy.down();
      const during = await Promise.all(Array.from({ length: 20 }, (_, i) => authorize(`during-${i}`)));
      for (const result of during) expectUnavailable(result);
      expect((await call(`${server.url}/api/v1/health/ready`)).status).toBe(503);

      proxy.up();
      const startedAt = Date.now();
      let after = await authorize('after');
      while (after.status !== 200 && Date.now() - startedAt < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        after = await authorize('after');
      }
      expect(after).toMatchObject({ status: 200, body: { isReplay: false } });
      expect((await call(`${server.url}/api/v1/health/ready`)).status).toBe(200);
      // What failed during the outage is retried as is: each run is counted once.
      const retried = await Promise.all(Array.from({ length: 20 }, (_, i) => authorize(`during-${i}`)));
      expect(retried.map((result) => result.status)).toEqual(Array.from({ length: 20 }, () => 200));
      expect(retried.filter((result) => (result.body as { isReplay: boolean }).isReplay)).toEqual([]);
    });
  });
}
