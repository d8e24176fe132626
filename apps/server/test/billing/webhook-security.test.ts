import { stripeEvents } from '@tollgate/db';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WEBHOOK_SECRET, startBillingTestServer, type BillingTestServer } from '../support/billing-server';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());
beforeEach(() => billing.server.testDb.reset());

const payload = JSON.stringify({
  id: 'evt_test_security',
  object: 'event',
  type: 'customer.created',
  api_version: '2026-10-28.endive',
  created: Math.floor(Date.now() / 1000),
  data: { object: { id: 'cus_x', object: 'customer' } },
});

async function deliver(body: string, signature: string | null) {
  const response = await fetch(`${billing.server.url}/api/v1/billing/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const sign = (body: string, options: { secret?: string; timestamp?: number } = {}) =>
  billing.stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: options.secret ?? WEBHOOK_SECRET,
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
  });

const storedEvents = () => billing.server.testDb.db.$count(stripeEvents);

describe('webhook verification', () => {
  it('accepts a correctly signed event once and treats the duplicate as a no-op', async () => {
    const first = await deliver(payload, sign(payload));
    expect(first).toMatchObject({ status: 200, body: { status: 'ignored' } });
    const duplicate = await deliver(payload, sign(payload));
    expect(duplicate).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await storedEvents()).toBe(1);
  });

  it.each([
    ['no signature', () => null],
    ['a garbage signature', () => 't=123,v1=deadbeef'],
    ['the wrong secret', () => sign(payload, { secret: 'whsec_someone_else' })],
    ['a stale timestamp', () => sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 3600 })],
    ['a tampered body', () => sign(payload.replace('cus_x', 'cus_y'))],
  ])('answers 400 and stores nothing for %s', async (_name, makeSignature) => {
    const result = await deliver(payload, makeSignature());
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error: { code: 'BAD_SIGNATURE' } });
    expect(await storedEvents()).toBe(0);
  });
});
