import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procedureInput } from '../src/openapi/procedure-input';
import { restOperations } from '../src/routes/rest-api';
import type { RestOperation } from '../src/routes/rest-operation';
import { registerUser } from './support/http';
import { startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  token = (await registerUser(server.url)).accessToken;
}, 60_000);
afterAll(() => server?.stop());

interface Answer {
  status: number;
  text: string;
}

async function send(
  operation: RestOperation,
  {
    path,
    query = '',
    body,
    contentType = 'application/json',
    isSignedIn = true,
  }: Partial<{
    path: string;
    query: string;
    body: string;
    contentType: string;
    isSignedIn: boolean;
  }>,
): Promise<Answer> {
  const url = `${server.url}/api/v1${path ?? operation.path.replace(':id', crypto.randomUUID())}${query}`;
  const response = await fetch(url, {
    method: operation.method.toUpperCase(),
    headers: {
      ...(body === undefined ? {} : { 'content-type': contentType }),
      ...(isSignedIn ? { authorization: `Bearer ${token}` } : {}),
    },
    body: operation.method === 'get' ? undefined : body,
  });
  return { status: response.status, text: await response.text() };
}

/** Never a 5xx, and every error is the documented JSON shape with a code. */
function expectHandled(answer: Answer, label: string) {
  expect(answer.status, `${label} → ${answer.status} ${answer.text.slice(0, 200)}`).toBeLessThan(500);
  if (answer.status < 400) return;
  const body = JSON.parse(answer.text) as { error?: { code?: unknown } };
  expect(typeof body.error?.code, label).toBe('string');
}

const RAW_BODIES = ['{', '{"a":', '[]', '[1,2]', 'null', '"text"', '0', 'true', '\u0000', '{"x":1}{"y":2}'];

const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1e308,
  true,
  {},
  [],
  ['a', 'b'],
  '',
  ' ',
  '\u0000',
  'x'.repeat(5000),
  '😀'.repeat(300),
  "' OR 1=1 --",
  '../../etc/passwd',
  { $gt: '' },
];

/** A small seeded generator, so a failure reproduces. */
function randomJson(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const value = (depth: number): unknown => {
    const kind = Math.floor(next() * (depth > 2 ? 4 : 6));
    if (kind === 0) return Math.floor(next() * 1e6) - 5e5;
    if (kind === 1)
      return next()
        .toString(36)
        .slice(2, 2 + Math.floor(next() * 10));
    if (kind === 2) return next() > 0.5;
    if (kind === 3) return null;
    if (kind === 4) return Array.from({ length: Math.floor(next() * 3) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(next() * 4) }, (_, i) => [`k${i}`, value(depth + 1)]),
    );
  };
  return value;
}

describe('malformed input never causes a 500', () => {
  it('raw bodies that are not a JSON object, and non-JSON content types', async () => {
    for (const operation of restOperations.filter((candidate) => candidate.method !== 'get')) {
      for (const body of RAW_BODIES) {
        for (const isSignedIn of [true, false]) {
          expectHandled(await send(operation, { body, isSignedIn }), `${operation.operationId} ${body}`);
        }
      }
      const form = await send(operation, { body: 'plan=PRO&runId=1', contentType: 'text/plain' });
      expectHandled(form, `${operation.operationId} text/plain`);
    }
  });

  it('odd values in every field of every operation', async () => {
    for (const operation of restOperations) {
      const { fields } = procedureInput(operation.procedure);
      for (const field of Object.keys(fields).filter((name) => name !== 'id')) {
        for (const value of ODD_VALUES) {
          const body = JSON.stringify({ ...operation.example, [field]: value });
          const query = `?${new URLSearchParams({ [field]: JSON.stringify(value) })}`;
          const answer = await send(operation, operation.method === 'get' ? { query } : { body });
          expectHandled(answer, `${operation.operationId} ${field}=${JSON.stringify(value).slice(0, 40)}`);
        }
      }
    }
  });

  it('odd path ids, query shapes and prototype keys', async () => {
    const withId = restOperations.filter((operation) => operation.path.includes(':id'));
    for (const operation of withId) {
      for (const id of [
        'not-a-uuid',
        '%00',
        '..%2F..%2Fhealth',
        'x'.repeat(500),
        '%F0%9F%98%80',
        '00000000-0000-0000-0000-000000000000',
      ]) {
        expectHandled(
          await send(operation, { path: operation.path.replace(':id', id), body: '{}' }),
          `${operation.operationId} id=${id}`,
        );
      }
    }
    const subscription = restOperations.find((operation) => operation.operationId === 'getSubscription');
    if (!subscription) throw new Error('no getSubscription');
    for (const query of ['?userId=a&userId=b', '?userId[$ne]=x', '?userId=%00', '?userId=', '?input=%7B']) {
      expectHandled(await send(subscription, { query }), `getSubscription ${query}`);
    }
    for (const operation of restOperations.filter((candidate) => candidate.method !== 'get')) {
      const body =
        '{"__proto__":{"platformRole":"operator"},"constructor":{"prototype":{"polluted":1}},"runId":"p-1"}';
      expectHandled(await send(operation, { body }), `${operation.operationId} prototype keys`);
    }
    // The keys changed nothing: still not an operator.
    const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ platformRole: null });
  });

  it('random JSON bodies (seeded)', async () => {
    for (const [index, operation] of restOperations.entries()) {
      const value = randomJson(index + 1);
      for (let i = 0; i < 12; i += 1) {
        const generated = value(0);
        const answer =
          operation.method === 'get'
            ? await send(operation, { query: `?userId=${encodeURIComponent(JSON.stringify(generated))}` })
            : await send(operation, { body: JSON.stringify(generated) });
        expectHandled(answer, `${operation.operationId} ${JSON.stringify(generated).slice(0, 80)}`);
      }
    }
  });

  it('a body over the limit is 413, and the server is still healthy afterwards', async () => {
    const authorize = restOperations.find((operation) => operation.operationId === 'authorizeRun');
    if (!authorize) throw new Error('no authorizeRun');
    const tooLarge = await send(authorize, { body: JSON.stringify({ runId: 'x'.repeat(200_000) }) });
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await fetch(`${server.url}/api/v1/health`)).status).toBe(200);
  });
});

describe('methods the Fetch standard forbids', () => {
  // tRPC builds a Fetch Request, which refuses TRACE (and TRACK, CONNECT, which Node's own HTTP parser
  // already answers or drops); fetch() can't send it either: raw HTTP.
  it.each(['TRACE'])('%s on /api/trpc → 405 with Allow and the error body', async (method) => {
    const { request } = await import('node:http');
    const answer = await new Promise<{ status: number; allow: string | undefined; text: string }>(
      (resolve, reject) => {
        const url = new URL(`${server.url}/api/trpc/auth.me`);
        const req = request({ host: url.hostname, port: url.port, method, path: url.pathname }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, text }));
        });
        req.on('error', reject);
        req.end();
      },
    );
    expect(answer).toEqual({
      status: 405,
      allow: 'GET, POST',
      text: JSON.stringify({
        error: { code: 'METHOD_NOT_SUPPORTED', message: `${method} is not a tRPC call` },
      }),
    });
  });
});
