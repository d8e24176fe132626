import { createJsonLogger } from '@tollgate/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerUser, trpc } from './support/http';
import { startTestServer, type TestServer } from './support/test-server';

const lines: string[] = [];
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(
    { LOG_REQUESTS: 'true' },
    { logger: createJsonLogger((line) => lines.push(line)) },
  );
});
afterAll(() => server?.stop());

/** The request line of the request whose answer carried this X-Request-Id (written on 'finish'). */
async function requestLineOf(requestId: string | null): Promise<Record<string, unknown>> {
  return vi.waitFor(() => {
    const found = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.requestId === requestId && String(entry.msg).startsWith('request '));
    if (!found) throw new Error(`no request line for ${requestId}`);
    return found;
  });
}

describe('request log (pino-http)', () => {
  it('logs the id the client sent, answered in X-Request-Id, with method, path, status and timing', async () => {
    const response = await fetch(`${server.url}/api/v1/health/live?token=query-secret`, {
      headers: { 'x-request-id': 'client-req-42', authorization: 'Bearer header-secret' },
    });
    expect(response.headers.get('x-request-id')).toBe('client-req-42');

    const line = await requestLineOf('client-req-42');
    expect(line).toEqual({
      level: 'info',
      time: expect.stringMatching(/Z$/),
      requestId: 'client-req-42',
      req: { method: 'GET', path: '/api/v1/health/live', ip: expect.stringMatching(/127\.0\.0\.1/) },
      res: { statusCode: 200 },
      durationMs: expect.any(Number),
      msg: 'request completed',
    });
    const written = lines.find((text) => text.includes('client-req-42')) ?? '';
    expect(written).not.toContain('query-secret');
    expect(written).not.toContain('header-secret');
  });

  it.each([
    ['no X-Request-Id', {}],
    ['an X-Request-Id that does not look like one', { 'x-request-id': 'not an id; rm -rf' }],
  ])('with %s, logs the id it made and answered', async (_name, headers: Record<string, string>) => {
    const response = await fetch(`${server.url}/api/v1/nope`, { headers });
    const answered = response.headers.get('x-request-id');
    expect(answered).toMatch(/^[0-9a-f-]{36}$/);

    expect(await requestLineOf(answered)).toMatchObject({
      req: { method: 'GET', path: '/api/v1/nope' },
      res: { statusCode: 404 },
    });
  });

  it('never logs what a request body or a credential carried', async () => {
    const { accessToken } = await registerUser(server.url);
    const login = await trpc(server.url, 'mutation', 'auth.login', {
      email: 'nobody@example.test',
      password: 'correct horse battery',
    });
    expect(login.status).toBe(401);
    await trpc(server.url, 'query', 'auth.me', undefined, accessToken);

    await vi.waitFor(() =>
      expect(lines.some((line) => line.includes('"path":"/api/trpc/auth.me"'))).toBe(true),
    );
    const everything = lines.join('');
    expect(everything).not.toContain('correct horse battery');
    expect(everything).not.toContain(accessToken);
  });
});
