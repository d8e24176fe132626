import type { BillingSettings, Logger } from '@tollgate/api';
import type { CheckoutPlanId } from '@tollgate/domain';
import type { StripeEmulator, StripeEmulatorOptions } from '@tollgate/stripe-emulator';
import type Stripe from 'stripe';
import { startEmulatedStripe } from '../../src/stripe-setup';
import { startTestServer, type TestServer } from './test-server';

export const WEBHOOK_SECRET = 'whsec_tollgate_test_secret_0123456789';

export interface BillingTestServer {
  server: TestServer;
  emulator: StripeEmulator<CheckoutPlanId>;
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
  emulatorOptions: Omit<StripeEmulatorOptions, 'catalog'> = {},
  settingsOverrides: Partial<BillingSettings> = {},
  serverOptions: { logger?: Logger } = {},
): Promise<BillingTestServer> {
  const {
    emulator,
    stripe,
    settings: emulated,
    connect,
  } = await startEmulatedStripe({
    emulator: { port: 0, deliveryRetryDelaysMs: [50, 100, 200], ...emulatorOptions },
    secretKey: 'sk_test_tollgate',
    webhookSecret: WEBHOOK_SECRET,
  });
  const settings: BillingSettings = { ...emulated, ...settingsOverrides };
  const server = await startTestServer(env, {
    billing: settings,
    now: () => emulator.clock.now(),
    ...serverOptions,
  });
  connect(server.url);
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
