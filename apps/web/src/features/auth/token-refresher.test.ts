import { beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../../lib/api';
import { FakeTrpcError, createFakeTrpc, type FakeHandler } from '../../test/fake-trpc';
import { createAuthSession } from './auth-session';

const user = { id: 'u1', email: 'ada@example.com', createdAt: '2026-01-01T00:00:00.000Z' };
const unauthorized = () => new FakeTrpcError('UNAUTHORIZED', 401, 'Session expired: sign in again');

/** sessions.list accepts only the newest access token; auth.refresh rotates like the server does. */
function setUp(refresh: FakeHandler, locks: Pick<LockManager, 'request'> | null = null) {
  window.localStorage.clear();
  const session = createAuthSession(window.localStorage);
  session.set({ accessToken: 'access-1', refreshToken: 'refresh-1', user: { id: 'u1', email: user.email } });
  let validToken = 'access-2';
  const fake = createFakeTrpc({
    'sessions.list': (_input, call) => {
      if (call.authorization !== `Bearer ${validToken}`) throw unauthorized();
      return [];
    },
    'auth.refresh': refresh,
  });
  const api = createApi({ url: 'http://localhost', session, fetch: fake.fetch, retries: 0, locks });
  return { api, fake, session, expire: (token: string) => (validToken = token) };
}

function rotatingRefresh(): FakeHandler {
  let generation = 1;
  return (input) => {
    const { refreshToken } = input as { refreshToken: string };
    if (refreshToken !== `refresh-${generation}`) throw unauthorized();
    generation += 1;
    return {
      accessToken: `access-${generation}`,
      refreshToken: `refresh-${generation}`,
      expiresIn: 900,
      user,
    };
  };
}

describe('token refresh', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });

  it('refreshes once on a 401 and retries the call with the new token', async () => {
    const setup = setUp(rotatingRefresh());

    await expect(setup.api.client.trpc.sessions.list.query()).resolves.toEqual([]);

    expect(setup.fake.callsTo('auth.refresh')).toHaveLength(1);
    expect(setup.session.get()).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
    expect(setup.fake.callsTo('sessions.list').map((call) => call.authorization)).toEqual([
      'Bearer access-1',
      'Bearer access-2',
    ]);
  });

  it('lets concurrent 401s share one refresh (a second one would reuse a rotated token)', async () => {
    const setup = setUp(rotatingRefresh());

    const results = await Promise.all([1, 2, 3].map(() => setup.api.client.trpc.sessions.list.query()));

    expect(results).toEqual([[], [], []]);
    expect(setup.fake.callsTo('auth.refresh')).toHaveLength(1);
    expect(setup.session.get()?.refreshToken).toBe('refresh-2');
  });

  it('adopts a token another tab refreshed while this one waited for the lock', async () => {
    const setup = setUp(rotatingRefresh(), {
      // The other tab holds the lock and rotates first; then this tab's callback runs.
      request: (async (_name: string, callback: () => Promise<boolean>) => {
        setup.session.set({
          accessToken: 'access-2',
          refreshToken: 'refresh-2',
          user: { id: 'u1', email: null },
        });
        return callback();
      }) as LockManager['request'],
    });

    await expect(setup.api.client.trpc.sessions.list.query()).resolves.toEqual([]);
    expect(setup.fake.callsTo('auth.refresh')).toHaveLength(0);
  });

  it('signs out when the refresh token itself is refused', async () => {
    const setup = setUp(() => {
      throw unauthorized();
    });
    const changes: unknown[] = [];
    setup.session.onChange((next) => changes.push(next));

    await expect(setup.api.client.trpc.sessions.list.query()).rejects.toThrow('Session expired');
    expect(setup.session.get()).toBeNull();
    expect(changes).toEqual([null]);
  });

  it('keeps the tokens when the refresh fails for want of a network', async () => {
    const setup = setUp(() => {
      throw new Error('offline');
    });

    await expect(setup.api.client.trpc.sessions.list.query()).rejects.toThrow();
    expect(setup.session.get()?.refreshToken).toBe('refresh-1');
  });
});
