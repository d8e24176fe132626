import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCOUNT_HEADER, appRouter, createContextFactory, retryAfterSecondsOf } from '@tollgate/api';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, { type RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpcMiddleware } from '../src/http/trpc-middleware';
import { registerUser } from './support/http';
import { startTestServer, type TestServer } from './support/test-server';

// The lighter tRPC path (http/trpc-middleware.ts) hands tRPC's resolveResponse a stand-in for a Fetch
// Request. These are the same requests to tRPC's stock Express adapter and to ours, over one database:
// every status, header and body must be the same, byte for byte.
let server: TestServer;
let token: string;
const apps: Server[] = [];
let stockUrl: string;
let ownUrl: string;

async function listen(middleware: RequestHandler): Promise<string> {
  const app = express();
  app.use('/api/trpc', middleware);
  const listening = await new Promise<Server>((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  apps.push(listening);
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  server = await startTestServer();
  token = (await registerUser(server.url)).accessToken;
  const createContext = createContextFactory(server.deps, server.services);
  const options = {
    router: appRouter,
    // A request carrying FAIL_CONTEXT can't get a context: how each path answers that (a 500 of tRPC's).
    createContext: ({ req }: { req: express.Request }) =>
      req.get(FAIL_CONTEXT)
        ? Promise.reject(new Error('no context for this one'))
        : createContext({
            authorization: req.get('authorization'),
            account: req.get(ACCOUNT_HEADER),
            ip: req.ip ?? 'unknown',
            requestId: 'parity',
          }),
    maxBodySize: 100 * 1024,
    responseMeta: ({ errors }: { errors: Parameters<typeof retryAfterSecondsOf>[0][] }) => {
      const retryAfter = errors.map(retryAfterSecondsOf).find((seconds) => seconds !== null);
      return retryAfter ? { headers: { 'retry-after': String(retryAfter) } } : {};
    },
  };
  stockUrl = await listen(createExpressMiddleware(options));
  ownUrl = await listen(trpcMiddleware(options));
});

afterAll(async () => {
  await Promise.all(apps.map((app) => new Promise((resolve) => app.close(resolve))));
  await server?.stop();
});

interface Call {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  isSignedIn?: boolean;
}

/** Status, headers (but the date) and body of one answer, as one comparable text. */
function answer(baseUrl: string, call: Call): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers = {
      ...(call.isSignedIn === false ? {} : { authorization: `Bearer ${token}` }),
      ...call.headers,
    };
    const sent = request(
      { host: url.hostname, port: url.port, method: call.method, path: call.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const { date: _date, ...kept } = res.headers;
          resolve(`${res.statusCode}\n${JSON.stringify(kept)}\n${Buffer.concat(chunks).toString('utf8')}`);
        });
      },
    );
    sent.on('error', reject);
    if (call.body !== undefined) sent.write(call.body);
    sent.end();
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const FAIL_CONTEXT = 'x-parity-fail-context';
const big = JSON.stringify({ runId: 'x'.repeat(200_000) });

// Run ids differ per side (one database): `{run}` becomes `parity-stock-…` or `parity-own-…`.
const CALLS: Call[] = [
  { method: 'GET', path: '/api/trpc/auth.me' },
  { method: 'GET', path: '/api/trpc/auth.me', isSignedIn: false },
  { method: 'GET', path: '/api/trpc/auth.me', headers: { authorization: 'Bearer not.a.token' } },
  { method: 'POST', path: '/api/trpc/usage.authorize', headers: JSON_TYPE, body: '{"runId":"{run}-1"}' },
  { method: 'POST', path: '/api/trpc/usage.authorize', headers: JSON_TYPE, body: '{"runId":"{run}-1"}' },
  {
    method: 'POST',
    path: '/api/trpc/usage.authorize',
    headers: JSON_TYPE,
    body: '{"runId":"{run}-1","estimate":2}',
  },
  { method: 'POST', path: '/api/trpc/usage.authorize', headers: JSON_TYPE, body: '{"runId":' },
  { method: 'POST', path: '/api/trpc/usage.authorize', headers: JSON_TYPE, body: big },
  { method: 'POST', path: '/api/trpc/usage.authorize', headers: JSON_TYPE, body: big, isSignedIn: false },
  {
    method: 'POST',
    path: '/api/trpc/usage.authorize',
    headers: { 'content-type': 'Application/JSON; charset=utf-8' },
    body: '{"runId":"{run}-2"}',
  },
  {
    method: 'POST',
    path: '/api/trpc/usage.authorize',
    headers: JSON_TYPE,
    body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"runId":"{run}-3"}')]),
  },
  {
    method: 'POST',
    path: '/api/trpc/usage.authorize',
    headers: JSON_TYPE,
    body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
  },
  { method: 'POST', path: '/api/trpc/usage.authorize', headers: JSON_TYPE, body: '' },
  { method: 'POST', path: '/api/trpc/usage.authorize', headers: JSON_TYPE, body: '[1,2]' },
  { method: 'GET', path: '/api/trpc/usage.authorize' },
  { method: 'POST', path: '/api/trpc/auth.me', headers: JSON_TYPE, body: '{}' },
  { method: 'GET', path: '/api/trpc/auth.me,auth.me?batch=1' },
  { method: 'GET', path: '/api/trpc/auth.me,usage.authorize?batch=1' },
  {
    method: 'POST',
    path: '/api/trpc/usage.authorize,usage.authorize?batch=1',
    headers: JSON_TYPE,
    body: '{"0":{"runId":"{run}-4"},"1":{"runId":"bad id with spaces"}}',
  },
  { method: 'GET', path: '/api/trpc/nope.nope' },
  { method: 'GET', path: '/api/trpc/auth.me?input=%7B' },
  { method: 'GET', path: '/api/trpc/%E0%A4%A' },
  { method: 'GET', path: '/api/trpc/auth.me', headers: { host: '[::1' } },
  { method: 'GET', path: '/api/trpc/usage.balance', headers: { [ACCOUNT_HEADER]: 'not-a-uuid' } },
  // Calls the direct path (trpc-direct-call.ts) answers, and the ones it hands to resolveResponse.
  { method: 'GET', path: '/api/trpc/usage.balance' },
  { method: 'GET', path: '/api/trpc/usage.balance?input=%7B%7D' },
  { method: 'GET', path: '/api/trpc/usage.balance?input=%22x%22' },
  { method: 'GET', path: '/api/trpc/auth.me?input=' },
  { method: 'GET', path: '/api/trpc/auth.me?batch=0' },
  { method: 'GET', path: '/api/trpc/auth.me?connectionParams=%7B%7D' },
  { method: 'GET', path: '/api/trpc/auth%2Eme' },
  { method: 'GET', path: '/api/trpc/__proto__' },
  { method: 'GET', path: '/api/trpc/toString' },
  { method: 'GET', path: '/api/trpc/auth.me', headers: { [FAIL_CONTEXT]: '1' } },
  {
    method: 'POST',
    path: '/api/trpc/usage.authorize',
    headers: { ...JSON_TYPE, [FAIL_CONTEXT]: '1' },
    body: '{"runId":"{run}-5"}',
  },
  {
    method: 'POST',
    path: '/api/trpc/usage.authorize',
    headers: JSON_TYPE,
    body: '{"runId":"{run}-6","estimate":100000}',
  },
  {
    method: 'POST',
    path: '/api/trpc/usage.authorize',
    headers: { ...JSON_TYPE, [ACCOUNT_HEADER]: 'not-a-uuid' },
    body: '{"runId":"{run}-7"}',
  },
  {
    method: 'POST',
    path: '/api/trpc/auth.login',
    headers: JSON_TYPE,
    body: '{"email":"nobody@example.test","password":"wrong password here"}',
    isSignedIn: false,
  },
];

const withRun = (call: Call, side: string): Call => ({
  ...call,
  body:
    typeof call.body === 'string'
      ? call.body.replaceAll('{run}', `parity-${side}`)
      : call.body &&
        Buffer.from(call.body.toString('latin1').replaceAll('{run}', `parity-${side}`), 'latin1'),
});
// What differs only because both sides share one account: its counters, and the run ids themselves.
const normalized = (text: string, side: string) =>
  text
    .replaceAll(`parity-${side}`, 'parity-?')
    .replace(/"(used|remaining|reserved|limit|credits|charged)":\d+/g, '"$1":N')
    .replace(/"content-length":"\d+"/, '"content-length":"N"');

describe('the lighter tRPC path answers exactly as tRPC’s stock Express adapter', () => {
  it.each(CALLS.map((call, index) => [index, call.method, call.path, call] as const))(
    '#%i %s %s',
    async (_index, _method, _path, call) => {
      const stock = normalized(await answer(stockUrl, withRun(call, 'stock')), 'stock');
      const own = normalized(await answer(ownUrl, withRun(call, 'own')), 'own');
      expect(own).toBe(stock);
    },
  );
});
