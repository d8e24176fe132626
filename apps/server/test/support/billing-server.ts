import { createStripeClient, type BillingSettings } from '@tollgate/api';
import {
  startStripeEmulator,
  type StripeEmulator,
  type StripeEmulatorOptions,
} from '@tollgate/stripe-emulator';
import type Stripe from 'stripe';
import { startTestServer, type TestServer } from './test-server';

export const WEBHOOK_SECRET = 'whsec_tollgate_test_secret_0123456789';

export interface BillingTestServer {
  server: TestServer;
  emulator: StripeEmulator;
  stripe: Stripe;
  settings: BillingSettings;
  stop(): Promise<void>;
}

/**
 * A real Tollgate server wired to a real (offline) Stripe emulator: the official SDK talks to the
 * emulator, the emulator signs and delivers webhooks to the server, and the server's clock follows the
 * emulator's test clock so renewals and grace periods line up.
 */
export async function startBillingTestServer(
  env: Record<string, string> = {},
  emulatorOptions: StripeEmulatorOptions = {},
  settingsOverrides: Partial<BillingSettings> = {},
): Promise<BillingTestServer> {
  const emulator = await startStripeEmulator({
    port: 0,
    deliveryRetryDelaysMs: [50, 100, 200],
    ...emulatorOptions,
  });
  const stripe = createStripeClient({ secretKey: 'sk_test_tollgate', apiBaseUrl: emulator.url });
  const settings: BillingSettings = {
    stripe,
    priceIds: emulator.prices,
    webhookSecret: WEBHOOK_SECRET,
    webhookToleranceSeconds: 300,
    ...settingsOverrides,
  };
  const server = await startTestServer(env, { billing: settings, now: () => emulator.clock.now() });
  emulator.addWebhookEndpoint(`${server.url}/api/v1/billing/webhook`, WEBHOOK_SECRET);
  return {
    server,
    emulator,
    stripe,
    settings,
    async stop() {
      await emulator.close();
      await server.stop();
    },
  };
}
