import type { CatalogSeed, CatalogSeedPlan } from './catalog';
import type { ActiveFault, FaultRule } from './fault-injection';
import type { FailureRule, PendingFailure } from './faults';
import type { DeliveryRecord, WebhookMode } from './webhooks/delivery';

export type {
  ActiveFault,
  CatalogSeed,
  CatalogSeedPlan,
  DeliveryRecord,
  FailureRule,
  FaultRule,
  PendingFailure,
  WebhookMode,
};

/** K: the keys of the seeded catalog (`prices` and `products` are keyed by them). */
export interface StripeEmulatorOptions<K extends string = string> {
  /**
   * Products and prices to seed (re-seeded over a restored snapshot). Default none: the emulator has
   * no catalog of its own (Tollgate's is TOLLGATE_CATALOG, from '@tollgate/stripe-emulator/tollgate-catalog').
   */
  catalog?: CatalogSeed<K>;
  /** 0 = a random free port. The CLI defaults to 12111 (DEFAULT_EMULATOR_PORT). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Origin used in hosted page URLs (session.url, hosted_invoice_url). Default http://<host>:<port>. */
  publicUrl?: string;
  /** Webhook endpoints to deliver to; a whsec_… secret is generated when omitted. */
  webhookEndpoints?: { url: string; secret?: string }[];
  /** Renewal payment retries: seconds after each failed attempt. Default 3, 5 and 7 days. */
  retrySchedule?: number[];
  /** What a subscription becomes when the last retry failed. Default 'canceled'. */
  endStateAfterRetries?: 'canceled' | 'unpaid';
  /** Webhook delivery backoff after a non-2xx answer or a timeout. */
  deliveryRetryDelaysMs?: number[];
  /** How long a webhook delivery may take before it counts as failed. Default 10 s. */
  deliveryTimeoutMs?: number;
  /** Emulator clock start. Default: real now. */
  startTime?: Date;
  /** Load state from this JSON file at start (if it exists) and save it there on close(). */
  snapshotFile?: string;
}

export interface EmulatorClockControl {
  now(): Date;
  /** Moves the clock forward; renewals, retries and period-end cancellations on the way happen. */
  advance(seconds: number): Promise<void>;
}

export interface EmulatorWebhooks {
  /** shuffle: hold events until drain(), then deliver them in a seeded random order. */
  setMode(mode: Partial<WebhookMode>): void;
  /** Resolves when every queued/held delivery is done (delivered or out of retries). Resumes if paused. */
  drain(): Promise<void>;
  log(): DeliveryRecord[];
  pause(): void;
  resume(): void;
}

export interface EmulatorFailures {
  /**
   * Makes the next matching API call(s) fail with a Stripe error, changing nothing (answered with
   * `Stripe-Should-Retry: false`, so the SDK's automatic retries don't hide it).
   */
  failNext(rule: FailureRule): PendingFailure;
  pending(): PendingFailure[];
  clear(): void;
}

export interface EmulatorFaults {
  /**
   * Installs a standing fault on the matching API calls: an error rate (seeded), a status (500, 429
   * with Retry-After, 402 card errors, …), added latency, or "process the call, then drop the
   * response". Stays until removed, or until it hit `times` calls. See FaultRule.
   */
  set(rule: FaultRule): ActiveFault;
  /** Installed faults with how many calls each matched and hit. */
  list(): ActiveFault[];
  remove(id: string): boolean;
  clear(): void;
}

export interface StripeEmulator<K extends string = string> {
  url: string;
  port: number;
  /** Seeded price and product ids by catalog key. */
  prices: Record<K, string>;
  products: Record<K, string>;
  addWebhookEndpoint(url: string, secret?: string): { id: string; secret: string };
  clock: EmulatorClockControl;
  webhooks: EmulatorWebhooks;
  failures: EmulatorFailures;
  faults: EmulatorFaults;
  /** Saves the snapshot (when configured) and stops the server and all deliveries. */
  close(): Promise<void>;
}

export const DEFAULT_EMULATOR_PORT = 12111;
export const DEFAULT_RETRY_SCHEDULE = [3 * 86_400, 5 * 86_400, 7 * 86_400];
export const DEFAULT_DELIVERY_RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000];
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
