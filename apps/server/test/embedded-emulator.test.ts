import { silentLogger } from '@tollgate/api';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../src/env';
import { startServer, type RunningServer } from '../src/server';
import { TEST_JWT_SECRET } from './support/test-server';

// `npm start` without STRIPE_SECRET_KEY: the server starts the offline emulator itself. A developer
// who sets STRIPE_WEBHOOK_SECRET there signs their own test events with it (stripe-cli style).
const DEVELOPER_SECRET = 'whsec_developer_chosen_secret_for_local_events';

let testDb: TestDbHandle;
let server: RunningServer;
beforeAll(async () => {
  testDb = await createTestDb();
  server = await startServer(
    parseEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
      APP_URL: 'http://app.tollgate.test',
      LOG_REQUESTS: 'false',
      STRIPE_WEBHOOK_SECRET: DEVELOPER_SECRET,
    }),
    { db: testDb, logger: silentLogger },
  );
});
afterAll(async () => {
  await server?.close();
  await testDb?.close();
});

const stripe = new Stripe('sk_test_signing_only');

async function deliver(secret: string) {
  const payload = JSON.stringify({
    id: `evt_local_${secret.length}_${Date.now()}`,
    object: 'event',
    type: 'customer.created',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: 'cus_local', object: 'customer' } },
  });
  const response = await fetch(`${server.url}/api/v1/billing/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret }),
    },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the embedded Stripe emulator', () => {
  it('runs, and the server verifies webhooks with the STRIPE_WEBHOOK_SECRET that was set', async () => {
    expect(server.emulator).not.toBeNull();
    expect(server.deps.billing?.webhookSecret).toBe(DEVELOPER_SECRET);
    expect(await deliver(DEVELOPER_SECRET)).toMatchObject({ status: 200, body: { received: true } });
    expect(await deliver('whsec_some_other_secret')).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_SIGNATURE' } },
    });
  });
});
