import { API_KEY_SCOPES } from '@tollgate/api';
import { personalAccountId } from '@tollgate/db';
import { SignJWT } from 'jose';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { TEST_JWT_SECRET, registerVerifiedUser, type TestServer } from '../support/test-server';
import type { ValidValues } from './arbitraries';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Who the fuzzer speaks as: no credential, a user's token, a service key holding every scope, an
 * operator's token, and malformed or forged ones; plus ids and values that exist, so generated inputs
 * also get past the schemas and reach rows.
 */
export interface Credentials {
  user: string;
  service: string;
  operator: string;
  garbage: string[];
  /** Ids that exist, so generated inputs also reach rows: users, a session, run ids. */
  known: string[];
  /** Values each input field accepts. */
  valid: ValidValues;
}

export async function makeCredentials(server: TestServer): Promise<Credentials> {
  const user = await registerVerifiedUser(server);
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
  // A run the service key reserved (3 units) and started: what usage.settle may settle.
  const serviceKey = key.data.key;
  const started = { userId: user.user.id, runId: 'fuzz-started' };
  await trpc(server.url, 'mutation', 'usage.authorize', { ...started, estimate: 3 }, serviceKey);
  await trpc(server.url, 'mutation', 'usage.start', started, serviceKey);
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
      'fuzz-started',
      user.refreshToken,
      'evt_fuzz_1',
    ].filter(Boolean),
    valid: {
      userId: [user.user.id, operator.user.id, 'host-fuzz-1', 'host-fuzz-2'],
      runId: ['run-1', 'run-2', 'run-3', 'fuzz-run', 'fuzz-started'],
      // Units: an estimate to reserve, a started run's actual cost (bounds included).
      estimate: [1, 3, 100_000],
      actual: [1, 3, 50, 100_000],
      packId: ['PACK_100', 'PACK_1000'],
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
        // Run packs: payment-mode Checkout and the charge's refunds and disputes.
        'checkout.session.async_payment_failed',
        'charge.refunded',
        'charge.refund.updated',
        'refund.created',
        'refund.updated',
        'charge.dispute.created',
        'charge.dispute.closed',
        'charge.dispute.funds_reinstated',
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
        // As Tollgate makes them since billing accounts: the account named, and a malformed one.
        {
          object: {
            id: 'sub_fuzz',
            object: 'subscription',
            customer: 'cus_fuzz',
            metadata: { accountId: personalAccountId(user.user.id), userId: user.user.id, plan: 'PRO' },
          },
        },
        {
          object: {
            id: 'cs_fuzz',
            object: 'checkout.session',
            mode: 'subscription',
            client_reference_id: `account:${personalAccountId(user.user.id)}`,
            metadata: { accountId: 'not-a-uuid' },
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
        // A pack's payment-mode session (Tollgate re-fetches it: unknown to Stripe here), a charge, a
        // refund and a dispute naming it.
        {
          object: {
            id: 'cs_fuzz_pack',
            object: 'checkout.session',
            mode: 'payment',
            payment_status: 'paid',
            amount_total: 1000,
            currency: 'usd',
            payment_intent: 'pi_fuzz',
            client_reference_id: `account:${personalAccountId(user.user.id)}`,
            metadata: { accountId: personalAccountId(user.user.id), packId: 'PACK_100', units: '100' },
          },
        },
        { object: { id: 'ch_fuzz', object: 'charge', amount_refunded: 500, payment_intent: 'pi_fuzz' } },
        { object: { id: 're_fuzz', object: 'refund', charge: 'ch_fuzz', amount: 500 } },
        { object: { id: 're_fuzz', object: 'refund', charge: { id: 'ch_fuzz' } } },
        { object: { id: 'du_fuzz', object: 'dispute', charge: 'ch_fuzz', amount: 1000, status: 'won' } },
        { object: { id: 'cus_fuzz', object: 'customer', deleted: true } },
        { object: null },
        { object: [] },
        { object: {} },
        {},
      ],
    },
  };
}
