import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_BODY_LIMIT } from '../../src/routes/billing-webhook';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { eventOf, sendWebhook } from '../support/webhooks';

// nginx lets a webhook body up to its client_max_body_size through: the server must take as much, or
// Stripe retries for days an event that can never pass.

const NGINX_TEMPLATE = new URL('../../../../nginx/templates/tollgate.conf.template', import.meta.url);

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());

/** A signed event of a type Tollgate records and ignores, about `bytes` long. */
function eventOfSize(bytes: number) {
  return eventOf('product.updated', { id: 'prod_big', object: 'product', description: 'x'.repeat(bytes) });
}

describe('webhook body size', () => {
  it('takes what nginx lets through on the webhook route (the same limit)', () => {
    const template = readFileSync(NGINX_TEMPLATE, 'utf8');
    const webhookBlock = /location = \/api\/v1\/billing\/webhook \{([^}]*)\}/.exec(template)?.[1] ?? '';
    const nginxLimit = /client_max_body_size (\d+)m;/.exec(webhookBlock)?.[1];
    expect(`${nginxLimit}mb`).toBe(WEBHOOK_BODY_LIMIT);
  });

  it('applies a signed 1.5 MB event, and answers 413 past the limit', async () => {
    const big = await sendWebhook(billing, eventOfSize(1_500_000));
    expect(big.status).toBe(200);
    expect(big.body).toMatchObject({ received: true });
    const tooBig = await sendWebhook(billing, eventOfSize(2_200_000));
    expect(tooBig.status).toBe(413);
  });
});
