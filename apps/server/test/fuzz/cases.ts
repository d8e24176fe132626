import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { payloadArbitrary, type Payload, type Target } from './arbitraries';
import type { Credentials } from './credentials';
import {
  contentTypeArbitrary,
  headersArbitrary,
  methodArbitrary,
  rawRequestArbitrary,
  segmentArbitrary,
} from './http-arbitraries';
import type { FuzzRequest, FuzzResponse } from './raw-http';
import { SIGNED_WEBHOOK, WEBHOOK_EVENT_FIELDS, fieldsByProcedure } from './targets';

/** What signs the fuzzer's webhook deliveries; the fuzz server is configured with it. */
export const WEBHOOK_SECRET = 'whsec_fuzz_0123456789abcdef';

/** Stripe's signature scheme over the exact bytes sent (the SDK's helper takes a string). */
export function stripeSignature(body: Buffer | undefined): string {
  const timestamp = Math.floor(Date.now() / 1000);
  const mac = createHmac('sha256', WEBHOOK_SECRET)
    .update(`${timestamp}.`)
    .update(body ?? Buffer.alloc(0))
    .digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Percent-encodes every byte, so invalid UTF-8 reaches the server's decoder as it is. Past 20 kB the
 * URL is over node's 16 kB header limit anyway (431), so longer inputs are cut there.
 */
const percentEncode = (bytes: Buffer) => bytes.subarray(0, 20_000).toString('hex').replace(/../g, '%$&');

export interface FuzzCase {
  target: Target;
  request: FuzzRequest;
  label: string;
}

export function caseArbitrary(targets: Target[], credentials: Credentials): fc.Arbitrary<FuzzCase> {
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

export function describeCase(fuzzCase: FuzzCase, response: FuzzResponse | Error): string {
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

export async function runAll<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
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
