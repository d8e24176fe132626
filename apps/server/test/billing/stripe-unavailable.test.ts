import type { Logger } from '@tollgate/api';
import { personalAccountId, subscriptions } from '@tollgate/db';
import type { FaultRule } from '@tollgate/stripe-emulator';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { registerVerifiedUser } from '../support/test-server';

// Stripe unreachable or failing for a moment is a 503 with Retry-After on every user's billing call,
// over REST and tRPC, logged as a warning (not as a bug); nothing is stored half-way, and the same call
// succeeds once Stripe is back.

const logged: { level: 'warn' | 'error'; message: string }[] = [];
const logger: Logger = {
  info() {},
  warn: (message) => logged.push({ level: 'warn', message }),
  error: (message) => logged.push({ level: 'error', message }),
};

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer({}, {}, {}, { logger });
});
afterEach(() => billing.emulator.faults.clear());
afterAll(() => billing?.stop());

type Operation = 'checkout' | 'packCheckout' | 'portal' | 'invoices';
type Transport = 'rest' | 'trpc';

const CALLS: Record<Operation, { rest: [string, string, unknown]; trpc: [string, string, unknown] }> = {
  checkout: {
    rest: ['POST', '/billing/create-checkout-session', { plan: 'BASIC' }],
    trpc: ['POST', 'billing.createCheckoutSession', { plan: 'BASIC' }],
  },
  packCheckout: {
    rest: ['POST', '/billing/create-pack-checkout', { packId: 'PACK_100' }],
    trpc: ['POST', 'billing.createPackCheckout', { packId: 'PACK_100' }],
  },
  portal: {
    rest: ['POST', '/billing/create-portal-session', {}],
    trpc: ['POST', 'billing.createPortalSession', {}],
  },
  invoices: { rest: ['GET', '/billing/invoices', undefined], trpc: ['GET', 'billing.invoices', undefined] },
};

interface Answer {
  status: number;
  retryAfter: string | null;
  code: string | undefined;
  message: string | undefined;
}

/** One billing call over the wire, with the Retry-After header (the tRPC helper doesn't keep headers). */
async function call(operation: Operation, transport: Transport, token: string): Promise<Answer> {
  const [method, path, input] = CALLS[operation][transport];
  const url = `${billing.server.url}${transport === 'rest' ? '/api/v1' : '/api/trpc/'}${path}`;
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: input === undefined ? undefined : JSON.stringify(input),
  });
  const body = (await response.json()) as {
    error?: { code?: string; message: string; data?: { code: string } };
  };
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    code: transport === 'rest' ? body.error?.code : body.error?.data?.code,
    message: body.error?.message,
  };
}

/** A user whose account has a Stripe customer when the operation needs one (portal, invoices). */
async function userFor(operation: Operation): Promise<{ token: string; accountId: string }> {
  const { accessToken, user } = await registerVerifiedUser(billing.server);
  if (operation === 'portal' || operation === 'invoices') {
    expect((await call('checkout', 'rest', accessToken)).status).toBe(201);
  }
  return { token: accessToken, accountId: personalAccountId(user.id) };
}

async function linkedCustomer(accountId: string): Promise<string | null> {
  const [row] = await billing.server.testDb.db
    .select({ customer: subscriptions.stripeCustomerId })
    .from(subscriptions)
    .where(eq(subscriptions.accountId, accountId));
  return row?.customer ?? null;
}

const OUTAGES: [name: string, fault: FaultRule, retryAfter: string][] = [
  ['Stripe answers 503', { method: '*', path: '/v1/*', status: 503, shouldRetry: false }, '5'],
  // Stripe's own Retry-After wins over the default.
  [
    'Stripe rate-limits',
    { method: '*', path: '/v1/*', status: 429, retryAfterSeconds: 7, shouldRetry: false },
    '7',
  ],
  // Applied at Stripe (a customer made), the answer lost, through the SDK's own retries.
  ['the connection drops', { method: '*', path: '/v1/*', dropResponse: true }, '5'],
];

const OPERATIONS: Operation[] = ['checkout', 'packCheckout', 'portal', 'invoices'];
const SUCCESS: Record<Transport, Record<Operation, number>> = {
  rest: { checkout: 201, packCheckout: 201, portal: 201, invoices: 200 },
  trpc: { checkout: 200, packCheckout: 200, portal: 200, invoices: 200 },
};

describe.each(OUTAGES)('%s', (_name, fault, retryAfter) => {
  it.each(OPERATIONS.flatMap((operation) => (['rest', 'trpc'] as const).map((t) => [operation, t] as const)))(
    '%s over %s: 503 with Retry-After and a clear message; nothing half-way; works once Stripe is back',
    async (operation, transport) => {
      const { token, accountId } = await userFor(operation);
      const customerBefore = await linkedCustomer(accountId);
      logged.length = 0;
      billing.emulator.faults.set(fault);

      const failed = await call(operation, transport, token);
      expect(failed).toMatchObject({ status: 503, retryAfter, code: 'SERVICE_UNAVAILABLE' });
      expect(failed.message).toMatch(/Stripe.*could not be reached.*retry shortly/);
      expect(logged).toEqual([{ level: 'warn', message: 'stripe unavailable; answered 503' }]);

      billing.emulator.faults.clear();
      // Nothing linked half-way: the account has the customer it had (none before a first checkout).
      expect(await linkedCustomer(accountId)).toBe(customerBefore);
      const recovered = await call(operation, transport, token);
      expect(recovered.status, JSON.stringify(recovered)).toBe(SUCCESS[transport][operation]);
      // One customer for the account, even when Stripe made one whose answer was lost.
      const found = await billing.stripe.customers.search({ query: `metadata['accountId']:'${accountId}'` });
      expect(found.data.map(({ id }) => id)).toEqual([await linkedCustomer(accountId)]);
    },
  );
});
