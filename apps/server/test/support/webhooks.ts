import { randomUUID } from 'node:crypto';
import { stripeEvents } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { WEBHOOK_SECRET, type BillingTestServer } from './billing-server';

export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Signs a payload the way Stripe does (stripe.webhooks.generateTestHeaderString with the server's
 * secret) and posts it to the server's webhook route. Objects are sent as JSON; strings as they are.
 */
export async function sendWebhook(
  billing: BillingTestServer,
  payload: unknown,
  options: { secret?: string } = {},
): Promise<WebhookAnswer> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = billing.stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: options.secret ?? WEBHOOK_SECRET,
  });
  const response = await fetch(`${billing.server.url}/api/v1/billing/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** A Stripe event envelope around `object`, in the shape Stripe sends (API version the server pins). */
export function eventOf(type: string, object: unknown, overrides: Record<string, unknown> = {}) {
  return {
    id: `evt_test_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
    ...overrides,
  };
}

/** The stored row of an event, or undefined. */
export async function storedEvent(billing: BillingTestServer, id: string) {
  const [row] = await billing.server.testDb.db.select().from(stripeEvents).where(eq(stripeEvents.id, id));
  return row;
}
