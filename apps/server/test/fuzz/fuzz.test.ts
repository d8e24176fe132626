import { createHmac } from 'node:crypto';
import { API_KEY_SCOPES, createStripeClient, type Logger } from '@tollgate/api';
import { startStripeEmulator, type StripeEmulator } from '@tollgate/stripe-emulator';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restOperations } from '../../src/routes/rest-api';
import { registerUser, trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { TEST_JWT_SECRET, startTestServer, type TestServer } from '../support/test-server';
import {
  contentTypeArbitrary,
  headersArbitrary,
  methodArbitrary,
  payloadArbitrary,
  rawRequestArbitrary,
  segmentArbitrary,
  type Payload,
  type Target,
  type ValidValues,
} from './arbitraries';
import { createSender, type FuzzRequest, type FuzzResponse } from './raw-http';
import {
  SIGNED_WEBHOOK,
  WEBHOOK_EVENT_FIELDS,
  fieldsByProcedure,
  otherTargets,
  restTargets,
  trpcTargets,
} from './targets';

// Generated requests against every REST operation (as /api/v1/openapi.json lists them), every tRPC
// procedure and the other routes, with no credential, a user's token, a service key holding every scope,
// an operator's token and garbage ones. A response >= 500, a dropped connection or anything the server
// logs as an error is a failure; afterwards the server must still be ready and authorize a run.
// FUZZ_SEED / FUZZ_CASES reproduce or widen a run; the defaults keep CI deterministic.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_213);
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const CONCURRENCY = 8;

const WEBHOOK_SECRET = 'whsec_fuzz_0123456789abcdef';

let server: TestServer;
let emulator: StripeEmulator;
const loggedErrors: { message: string; fields: Record<string, unknown> }[] = [];
const logger: Logger = {
  info() {},
  warn() {},
  error: (message, fields = {}) => loggedErrors.push({ message, fields }),
};

beforeAll(async () => {
  // Billing is configured (an offline emulator), so the billing routes run their real code.
  emulator = await startStripeEmulator({ port: 0, deliveryRetryDelaysMs: [50] });
  server = await startTestServer(
    // Each register or login that passes its schema costs an argon2 hash (~25 ms of CPU): past 30 a
    // minute they answer 429, which keeps the run short and fuzzes the limiter's answer too.
    { AUTH_RATE_LIMIT_PER_MINUTE: '30' },
    {
      logger,
      billing: {
        stripe: createStripeClient({ secretKey: 'sk_test_fuzz', apiBaseUrl: emulator.url }),
        priceIds: emulator.prices,
        webhookSecret: WEBHOOK_SECRET,
        webhookToleranceSeconds: 300,
      },
    },
  );
}, 60_000);
afterAll(async () => {
  await emulator?.close();
  await server?.stop();
});

interface Credentials {
  user: string;
  service: string;
  operator: string;
  garbage: string[];
  /** Ids that exist, so generated inputs also reach rows: users, a session, run ids. */
  known: string[];
  /** Values each input field accepts. */
  valid: ValidValues;
}

async function makeCredentials(): Promise<Credentials> {
  const user = await registerUser(server.url);
  const operator = await registerOperator(server);
  const key = await trpc<{ key: string }>(
    server.url,
    'mutation',
    'apiKeys.create',
    { name: 'fuzz: every scope', scopes: [...API_KEY_SCOPES] },
    operator.accessToken,
  );
  if (!key.data) throw new Error(`apiKeys.create: ${JSON.stringify(key.error)}`);
  const session = await trpc<{ id: string }>(
    server.url,
    'mutation',
    'sessions.create',
    { title: 'fuzz' },
    user.accessToken,
  );
  await trpc(server.url, 'mutation', 'usage.authorize', { runId: 'run-1' }, user.accessToken);
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  const now = Math.floor(Date.now() / 1000);
  const hostToken = (claims: Record<string, unknown>) =>
    new SignJWT({ iss: 'https://host.example', iat: now, exp: now + 600, ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(secret);
  return {
    user: `Bearer ${user.accessToken}`,
    service: `Bearer ${key.data.key}`,
    operator: `Bearer ${operator.accessToken}`,
    garbage: [
      'Bearer x',
      'Bearer',
      'Basic Zm9vOmJhcg==',
      `Bearer ${key.data.key}x`,
      `Bearer ${key.data.key.slice(0, 12)}`,
      `Bearer ${user.refreshToken}`,
      `Bearer ${user.accessToken.split('.').slice(0, 2).join('.')}.`,
      `Bearer ${await hostToken({ sub: 'host-fuzz-user' })}`,
      `Bearer ${await hostToken({ sub: user.user.id })}`,
      `Bearer ${await hostToken({ sub: '\ud800' })}`,
      `Bearer ${await hostToken({ sub: 'x\u0000y' })}`,
      `Bearer ${await hostToken({ sub: 42 })}`,
      `Bearer ${await hostToken({ sub: 'expired', exp: now - 10 })}`,
      `Bearer ${await hostToken({ sub: { id: 1 }, iss: ['a', 'b'], exp: 'soon' })}`,
      `Bearer ${await hostToken({ sub: 'x'.repeat(5_000), iat: now + 86_400, nbf: now + 86_400 })}`,
      // Tollgate's own issuer and type, signed with the shared secret: a user id that has no row, odd ids.
      `Bearer ${await hostToken({ iss: 'tollgate', typ: 'access', sub: 'no-such-user' })}`,
      `Bearer ${await hostToken({ iss: 'tollgate', typ: 'access', sub: '\udfff' })}`,
      `Bearer ${await hostToken({ iss: 'tollgate', typ: 'refresh', sub: user.user.id })}`,
      // Unsigned, malformed or other-algorithm tokens.
      `Bearer ${base64url({ alg: 'none' })}.${base64url({ sub: user.user.id, exp: now + 600, iat: now })}.`,
      `Bearer ${base64url({ alg: 'RS256', kid: 'x' })}.${base64url({ sub: 'a', exp: now + 600, iat: now })}.c2ln`,
      `Bearer ${base64url({ alg: 'HS256', crit: ['b64'], b64: false })}.${base64url({ sub: 'a' })}.c2ln`,
      'Bearer eyJ.eyJ.eyJ',
      `Bearer ${Buffer.from('not json').toString('base64url')}.${Buffer.from('[]').toString('base64url')}.x`,
      `Bearer ${'a'.repeat(10_000)}`,
      'Bearer a b',
    ],
    known: [
      user.user.id,
      operator.user.id,
      session.data?.id ?? '',
      'run-1',
      user.refreshToken,
      'evt_fuzz_1',
    ].filter(Boolean),
    valid: {
      userId: [user.user.id, operator.user.id, 'host-fuzz-1', 'host-fuzz-2'],
      runId: ['run-1', 'run-2', 'run-3', 'fuzz-run'],
      requestHash: ['hash-a', 'hash-b'],
      attemptId: ['attempt-1'],
      id: [session.data?.id ?? '', '00000000-0000-4000-8000-000000000000', 'evt_fuzz_1', 'evt_fuzz_2'],
      title: ['a title', ''],
      message: ['hello agent'],
      email: ['fuzz@example.test', user.user.email ?? ''],
      password: ['correct horse battery'],
      refreshToken: [user.refreshToken, 'not-a-refresh-token'],
      token: ['not-a-bootstrap-token'],
      name: ['fuzz key'],
      scopes: [['runs:authorize'], [...API_KEY_SCOPES]],
      plan: ['BASIC', 'PRO'],
      successUrl: ['http://app.tollgate.test/done', 'https://evil.example/'],
      cancelUrl: ['http://app.tollgate.test/cancel'],
      returnUrl: ['http://app.tollgate.test/settings'],
      success_url: ['http://app.tollgate.test/done'],
      return_url: ['http://app.tollgate.test/settings'],
      // Stripe event envelopes (the signed webhook target).
      object: ['event'],
      type: [
        'customer.subscription.updated',
        'customer.subscription.deleted',
        'checkout.session.completed',
        'invoice.paid',
        'invoice.payment_failed',
        'customer.deleted',
        'customer.created',
        'price.updated',
      ],
      api_version: ['2026-10-28.endive', '2024-06-20', '2020-08-27'],
      created: [now, now - 86_400, 0],
      livemode: [false],
      data: [
        {
          object: {
            id: 'sub_fuzz',
            object: 'subscription',
            customer: 'cus_fuzz',
            metadata: { userId: user.user.id },
          },
        },
        {
          object: {
            id: 'cs_fuzz',
            object: 'checkout.session',
            mode: 'subscription',
            client_reference_id: user.user.id,
            customer: 'cus_fuzz',
            subscription: 'sub_fuzz',
          },
        },
        {
          object: {
            id: 'in_fuzz',
            object: 'invoice',
            customer: 'cus_fuzz',
            subscription: 'sub_fuzz',
            amount_paid: 1900,
          },
        },
        {
          object: {
            id: 'in_fuzz',
            object: 'invoice',
            parent: { subscription_details: { subscription: 'sub_fuzz' } },
          },
        },
        { object: { id: 'cus_fuzz', object: 'customer', deleted: true } },
        { object: null },
        { object: [] },
        { object: {} },
        {},
      ],
    },
  };
}

/** Stripe's signature scheme over the exact bytes sent (the SDK's helper takes a string). */
function stripeSignature(body: Buffer | undefined): string {
  const timestamp = Math.floor(Date.now() / 1000);
  const mac = createHmac('sha256', WEBHOOK_SECRET)
    .update(`${timestamp}.`)
    .update(body ?? Buffer.alloc(0))
    .digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Percent-encodes every byte, so invalid UTF-8 reaches the server's decoder as it is. Past 20 kB the
 * URL is over node's 16 kB header limit anyway (431), so longer inputs are cut there.
 */
const percentEncode = (bytes: Buffer) => bytes.subarray(0, 20_000).toString('hex').replace(/../g, '%$&');

interface FuzzCase {
  target: Target;
  request: FuzzRequest;
  label: string;
}

function caseArbitrary(targets: Target[], credentials: Credentials): fc.Arbitrary<FuzzCase> {
  const fields = fieldsByProcedure(
    targets.filter((target) => target.kind === 'trpc').map(({ name }) => name),
  );
  const allFields = [...new Set([...fields.values()].flat()), 'userId', 'email', 'success_url', 'return_url'];
  const authorization = fc.oneof(
    {
      arbitrary: fc.constantFrom(null, credentials.user, credentials.service, credentials.operator),
      weight: 4,
    },
    { arbitrary: fc.constantFrom(...credentials.garbage), weight: 1 },
  );
  const generated = fc.record({
    target: fc.constantFrom(...targets),
    authorization,
    contentType: contentTypeArbitrary,
    headers: headersArbitrary,
    // Mostly the target's own method; now and then another one.
    method: fc.oneof({ arbitrary: fc.constant(null), weight: 11 }, { arbitrary: methodArbitrary, weight: 1 }),
    segment: segmentArbitrary,
    isBatch: fc.boolean(),
    // The procedure's own fields when the target is one, else every field any procedure knows.
    payloadSeed: fc.nat(),
  });
  const payloads = new Map<string, fc.Arbitrary<Payload | null>>();
  const payloadFor = (target: Target) => {
    const procedure = target.kind === 'trpc' ? target.name : restProcedure(target);
    const own =
      target.name === SIGNED_WEBHOOK
        ? WEBHOOK_EVENT_FIELDS
        : (procedure && fields.get(procedure)) || allFields;
    const key = own.join(',');
    let arbitrary = payloads.get(key);
    if (!arbitrary) {
      arbitrary = payloadArbitrary(own, allFields, credentials.known, credentials.valid);
      payloads.set(key, arbitrary);
    }
    return arbitrary;
  };
  const cases = generated.chain((parts) =>
    payloadFor(parts.target).map((payload) => buildCase({ ...parts, payload }, targets)),
  );
  return fc.oneof({ arbitrary: cases, weight: 40 }, { arbitrary: rawCases, weight: 1 });
}

const rawCases = rawRequestArbitrary.map((request): FuzzCase => ({
  target: { kind: 'route', name: 'raw HTTP', method: 'RAW', path: request.path },
  request,
  label: 'raw',
}));

/** The tRPC procedure behind a REST target (REST paths mirror procedure names closely enough). */
function restProcedure(target: Target): string | null {
  const map: Record<string, string> = {
    'POST /auth/register': 'auth.register',
    'POST /auth/login': 'auth.login',
    'POST /auth/refresh': 'auth.refresh',
    'POST /auth/logout': 'auth.logout',
    'POST /billing/create-checkout-session': 'billing.createCheckoutSession',
    'POST /billing/create-portal-session': 'billing.createPortalSession',
    'GET /billing/subscription': 'billing.subscription',
    'POST /usage/authorize': 'usage.authorize',
    'POST /usage/start': 'usage.start',
    'POST /usage/release': 'usage.release',
    'POST /sessions': 'sessions.create',
    'POST /sessions/:id/runs': 'sessions.run',
  };
  return map[target.name] ?? null;
}

function buildCase(
  parts: {
    target: Target;
    authorization: string | null;
    contentType: string | null;
    headers: Record<string, string>;
    method: string | null;
    segment: string;
    isBatch: boolean;
    payload: Payload | null;
  },
  targets: Target[],
): FuzzCase {
  const { target, payload } = parts;
  const method = parts.method ?? target.method;
  const headers: Record<string, string> = { ...parts.headers };
  if (parts.authorization !== null) headers.authorization = parts.authorization;
  if (parts.contentType !== null) headers['content-type'] = parts.contentType;
  if (target.name === 'POST /api/v1/billing/webhook')
    headers['stripe-signature'] = `t=1,v1=${'0'.repeat(64)}`;
  if (target.name === SIGNED_WEBHOOK) headers['stripe-signature'] = stripeSignature(payload?.bytes);

  let path = target.path.replace(/:\w+/g, parts.segment);
  let body = payload?.bytes;
  if (target.kind === 'trpc') {
    // A batch of two calls of the same kind (queries go by GET, mutations by POST).
    const other = targets.find(
      (candidate) =>
        candidate.kind === 'trpc' && candidate.name !== target.name && candidate.method === target.method,
    );
    const batched =
      parts.isBatch && payload ? Buffer.from(`{"0":${payload.bytes},"1":${payload.bytes}}`) : null;
    if (batched && other) path = `${path},${other.name}?batch=1`;
    const input = batched ?? payload?.bytes;
    if (method === 'GET' && input) {
      path += `${path.includes('?') ? '&' : '?'}input=${percentEncode(input)}`;
      body = undefined;
    } else {
      body = input;
    }
  } else if (method === 'GET' && payload) {
    // REST GET reads the query string: the payload's bytes become one parameter per top-level field.
    path += `?${parts.isBatch ? 'userId' : 'q'}=${percentEncode(payload.bytes)}`;
  }
  return {
    target,
    request: { method, path, headers, ...(body ? { body } : {}) },
    label: payload?.label ?? 'no-body',
  };
}

function describeCase(fuzzCase: FuzzCase, response: FuzzResponse | Error): string {
  const { request } = fuzzCase;
  const body = request.raw ?? request.body;
  const outcome =
    response instanceof Error
      ? `error ${response.message}`
      : `${response.status} ${response.body.slice(0, 300)}`;
  return [
    `${fuzzCase.target.name} [${fuzzCase.label}] → ${outcome}`,
    `  ${request.method} ${request.path.slice(0, 300)}`,
    `  headers ${JSON.stringify(request.headers).slice(0, 300)}`,
    `  body ${body ? JSON.stringify(body.subarray(0, 300).toString('latin1')) : '(none)'}`,
  ].join('\n');
}

async function runAll<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next];
        next += 1;
        if (item !== undefined) await work(item);
      }
    }),
  );
}

describe(`fuzzing every route and procedure (seed ${SEED}, ${CASES} cases)`, () => {
  it('answers every generated request below 500 and stays healthy', async () => {
    const started = Date.now();
    const credentials = await makeCredentials();
    const document = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as Parameters<
      typeof restTargets
    >[0];
    const targets = [...restTargets(document), ...trpcTargets(), ...otherTargets];
    // Every operation of the route tables is in the document, so none escapes the fuzzer.
    const restNames = new Set(targets.filter((target) => target.kind === 'rest').map(({ path }) => path));
    expect(restOperations.map(({ path }) => `/api/v1${path}`).filter((path) => !restNames.has(path))).toEqual(
      [],
    );
    const generationStarted = Date.now();
    const cases = fc.sample(caseArbitrary(targets, credentials), { seed: SEED, numRuns: CASES });
    const generationSeconds = (Date.now() - generationStarted) / 1000;

    const sender = createSender(server.url);
    // One example per kind of failure (target, method, status), with how often it happened.
    const failures = new Map<string, { count: number; example: string }>();
    const fail = (fuzzCase: FuzzCase, response: FuzzResponse | Error) => {
      const status = response instanceof Error ? 'error' : response.status;
      const key = `${fuzzCase.target.name} ${fuzzCase.request.method} → ${status}`;
      const known = failures.get(key);
      if (known) known.count += 1;
      else failures.set(key, { count: 1, example: describeCase(fuzzCase, response) });
    };
    const statuses = new Map<string, number>();
    const perTarget = new Map<string, number>();
    const perCredential = new Map<string, number>();
    const perPayload = new Map<string, number>();
    const credentialName = (header: string | undefined) =>
      header === undefined
        ? 'none'
        : header === credentials.user
          ? 'user'
          : header === credentials.service
            ? 'service'
            : header === credentials.operator
              ? 'operator'
              : 'garbage';
    try {
      await runAll(cases, CONCURRENCY, async (fuzzCase) => {
        const group = fuzzCase.target.name === SIGNED_WEBHOOK ? 'signed-webhook' : fuzzCase.target.kind;
        perTarget.set(group, (perTarget.get(group) ?? 0) + 1);
        const payloadKind = fuzzCase.label.replace(/-\d+$/, '');
        perPayload.set(payloadKind, (perPayload.get(payloadKind) ?? 0) + 1);
        const credential = credentialName(fuzzCase.request.headers.authorization);
        perCredential.set(credential, (perCredential.get(credential) ?? 0) + 1);
        let response: FuzzResponse;
        try {
          response = await sender.send(fuzzCase.request);
        } catch (error) {
          fail(fuzzCase, error as Error);
          return;
        }
        const statusKey = `${group} ${response.status}`;
        statuses.set(statusKey, (statuses.get(statusKey) ?? 0) + 1);
        // 0 = closed without an answer; only raw requests that break HTTP itself may get that.
        const isUnanswered = response.status === 0 && !fuzzCase.request.raw;
        if (response.status >= 500 || isUnanswered) fail(fuzzCase, response);
      });
    } finally {
      sender.close();
    }

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const counts = (map: Map<string | number, number>) =>
      [...map.entries()]
        .sort(([a], [b]) => String(a).localeCompare(String(b)))
        .map(([key, count]) => `${key}: ${count}`)
        .join(', ');
    console.log(
      [
        `[fuzz] seed ${SEED}: ${cases.length} requests in ${seconds} s (generating them: ${generationSeconds.toFixed(1)} s) over ${targets.length} targets ` +
          `(${targets.filter((t) => t.kind === 'rest').length} REST operations, ` +
          `${targets.filter((t) => t.kind === 'trpc').length} tRPC procedures, ${otherTargets.length} other routes)`,
        `[fuzz] by kind: ${counts(perTarget)}`,
        `[fuzz] by credential: ${counts(perCredential)}`,
        `[fuzz] by body: ${counts(perPayload)}`,
        `[fuzz] statuses: ${counts(statuses)}`,
        `[fuzz] ≥ 500 or unanswered: ${[...failures.values()].reduce((sum, { count }) => sum + count, 0)}; ` +
          `errors logged by the server: ${loggedErrors.length}`,
      ].join('\n'),
    );

    expect(
      [...failures.entries()].map(([key, { count, example }]) => `${count}× ${key}\n${example}`).join('\n\n'),
    ).toBe('');
    expect(
      loggedErrors
        .slice(0, 10)
        .map(({ message, fields }) => `${message} ${JSON.stringify(fields).slice(0, 400)}`)
        .join('\n'),
    ).toBe('');

    // Healthy afterwards: ready, and a normal authorize for a fresh user still works.
    expect((await fetch(`${server.url}/api/v1/health/ready`)).status).toBe(200);
    const after = await trpc(
      server.url,
      'mutation',
      'usage.authorize',
      { userId: 'after-the-fuzz', runId: 'after-1' },
      credentials.service.slice('Bearer '.length),
    );
    expect(after.status).toBe(200);
    expect(after.data).toMatchObject({ runId: 'after-1', isReplay: false, state: 'reserved' });
  }, 240_000);
});
