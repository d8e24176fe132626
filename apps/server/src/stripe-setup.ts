import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createStripeClient, ensureOverageCatalog, type BillingSettings, type Logger } from '@tollgate/api';
import type { CheckoutPlanId } from '@tollgate/domain';
import {
  DEFAULT_EMULATOR_PORT,
  startStripeEmulator,
  type StripeEmulator,
  type StripeEmulatorOptions,
} from '@tollgate/stripe-emulator';
import { TOLLGATE_CATALOG } from '@tollgate/stripe-emulator/tollgate-catalog';
import type Stripe from 'stripe';
import { DEFAULT_DATA_DIR } from './config';
import type { Env } from './env';

export interface StripeSetup {
  settings: BillingSettings;
  /** Set when running against the offline emulator started by this process. */
  emulator: StripeEmulator<CheckoutPlanId> | null;
  /** Called once the server listens: the emulator then delivers webhooks to it. */
  onListening(serverUrl: string): void;
}

export interface EmulatedStripeOptions {
  /** How to start the emulator; it is always seeded with Tollgate's catalog. */
  emulator?: Omit<StripeEmulatorOptions, 'catalog'>;
  /** Default: a random whsec_… */
  webhookSecret?: string;
  /** Default: 'sk_test_tollgate_emulator' (any sk_test_ key will do). */
  secretKey?: string;
  /** Default: 300, Stripe's. */
  webhookToleranceSeconds?: number;
}

export interface EmulatedStripe {
  emulator: StripeEmulator<CheckoutPlanId>;
  /** The official SDK, pointed at the emulator. */
  stripe: Stripe;
  /** Billing settings for a server: the emulator's price ids and the webhook secret. */
  settings: BillingSettings;
  /** Registers the server's webhook route (with the settings' secret): the emulator delivers to it from now on. */
  connect(serverUrl: string): void;
}

/**
 * An offline Stripe for a Tollgate server, the one wiring the server, its tests and the bench share: starts
 * the emulator seeded with Tollgate's catalog, points a Stripe client at it, and (once the server
 * listens) registers the server's webhook endpoint.
 */
export async function startEmulatedStripe(options: EmulatedStripeOptions = {}): Promise<EmulatedStripe> {
  const emulator = await startStripeEmulator({ ...options.emulator, catalog: TOLLGATE_CATALOG });
  const stripe = createStripeClient({
    secretKey: options.secretKey ?? 'sk_test_tollgate_emulator',
    apiBaseUrl: emulator.url,
  });
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(24).toString('hex')}`;
  return {
    emulator,
    stripe,
    settings: {
      stripe,
      priceIds: emulator.prices,
      webhookSecret,
      webhookToleranceSeconds: options.webhookToleranceSeconds ?? 300,
      overage: await ensureOverageCatalog(stripe),
    },
    connect(serverUrl) {
      emulator.addWebhookEndpoint(`${serverUrl}/api/v1/billing/webhook`, webhookSecret);
    },
  };
}

/**
 * Real Stripe when STRIPE_SECRET_KEY is set (every Stripe setting then required); otherwise, outside
 * production, the offline emulator in this process, seeded with the plan catalog's prices.
 */
export async function setUpStripe(
  env: Env,
  logger: Logger,
  { isStatePersisted }: { isStatePersisted: boolean },
): Promise<StripeSetup> {
  if (env.STRIPE_SECRET_KEY) {
    const missing = (
      [
        'STRIPE_WEBHOOK_SECRET',
        'STRIPE_PRICE_ID_BASIC',
        'STRIPE_PRICE_ID_PRO',
        'STRIPE_PRICE_ID_TEAM',
      ] as const
    ).filter((name) => !env[name]);
    if (missing.length > 0)
      throw new Error(`STRIPE_SECRET_KEY is set, so these are required too: ${missing.join(', ')}`);
    return {
      settings: {
        stripe: createStripeClient({
          secretKey: env.STRIPE_SECRET_KEY,
          apiBaseUrl: env.STRIPE_API_BASE_URL ?? null,
        }),
        priceIds: {
          BASIC: env.STRIPE_PRICE_ID_BASIC ?? '',
          PRO: env.STRIPE_PRICE_ID_PRO ?? '',
          TEAM: env.STRIPE_PRICE_ID_TEAM ?? '',
        },
        webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? '',
        webhookToleranceSeconds: env.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        overage: overageSettingsOf(env),
      },
      emulator: null,
      onListening() {},
    };
  }

  // A server whose database outlives it keeps the emulator's state in .data too, so the customers and
  // subscriptions the database refers to still exist after a restart. Test servers don't.
  const port = env.STRIPE_EMULATOR_PORT ?? (env.PORT === 0 ? 0 : DEFAULT_EMULATOR_PORT);
  if (isStatePersisted) mkdirSync(DEFAULT_DATA_DIR, { recursive: true });
  // A developer who sets STRIPE_WEBHOOK_SECRET signs their own test events with it; otherwise any will do.
  const { emulator, settings, connect } = await startEmulatedStripe({
    emulator: {
      port,
      host: '127.0.0.1',
      ...(isStatePersisted ? { snapshotFile: join(DEFAULT_DATA_DIR, 'stripe-emulator.json') } : {}),
    },
    webhookSecret: env.STRIPE_WEBHOOK_SECRET,
    webhookToleranceSeconds: env.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
  });
  logger.info('STRIPE_SECRET_KEY is not set: using the OFFLINE Stripe emulator (no real payments)', {
    emulatorUrl: emulator.url,
    prices: emulator.prices,
  });
  return { settings, emulator, onListening: connect };
}

/**
 * With real Stripe, overage is billed through the meter and metered price a deployment names (both, or
 * neither: overage then can't be turned on). The price must have OVERAGE_PRICE's unit_amount_decimal,
 * the amount caps are divided by (STRIPE_OVERAGE_UNIT_AMOUNT_DECIMAL if it differs).
 */
function overageSettingsOf(env: Env): BillingSettings['overage'] {
  if (!env.STRIPE_OVERAGE_METER_ID && !env.STRIPE_OVERAGE_PRICE_ID) return null;
  if (!env.STRIPE_OVERAGE_METER_ID || !env.STRIPE_OVERAGE_PRICE_ID) {
    throw new Error('Set both STRIPE_OVERAGE_METER_ID and STRIPE_OVERAGE_PRICE_ID, or neither');
  }
  return {
    meterId: env.STRIPE_OVERAGE_METER_ID,
    eventName: env.STRIPE_OVERAGE_EVENT_NAME,
    priceId: env.STRIPE_OVERAGE_PRICE_ID,
    unitAmountDecimal: env.STRIPE_OVERAGE_UNIT_AMOUNT_DECIMAL,
  };
}
