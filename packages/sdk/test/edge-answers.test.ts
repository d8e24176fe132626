import { describe, expect, it } from 'vitest';
import { createTollgateClient, toTollgateError, type TollgateError } from '../src/index';

// What the proxy in front of Tollgate answers by itself (nginx's rate limit, a replica down) is not a
// tRPC envelope: the SDK still says what happened instead of "unreachable" for a refusal.

const NGINX_429 =
  '{"error":{"code":"TOO_MANY_REQUESTS","message":"Too many attempts: wait a minute and try again"}}\n';

async function loginAnswered(status: number, body: string, contentType = 'application/json') {
  const edge: typeof fetch = () =>
    Promise.resolve(new Response(body, { status, headers: { 'content-type': contentType } }));
  const client = createTollgateClient({ url: 'http://tollgate.test', fetch: edge, getToken: () => null });
  try {
    await client.trpc.auth.login.mutate({ email: 'ada@example.test', password: 'not the password' });
  } catch (error) {
    return toTollgateError(error);
  }
  throw new Error('the call succeeded');
}

describe('answers of the proxy in front', () => {
  it("nginx's 429 is a refusal with its message, not a network error", async () => {
    const error: TollgateError = await loginAnswered(429, NGINX_429);
    expect(error).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      message: 'Too many attempts: wait a minute and try again',
    });
    expect(error.isTransportError).toBe(false);
  });

  it('a gateway error stays a transport error: the call may or may not have reached Tollgate', async () => {
    const error = await loginAnswered(502, '<html>502 Bad Gateway</html>', 'text/html');
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', httpStatus: null });
  });
});
