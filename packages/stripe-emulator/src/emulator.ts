import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { payCheckoutByControl, resolveDelayedPaymentByControl } from './billing/checkout-control';
import { setDefaultCardByControl } from './billing/default-card';
import { openDisputeByControl } from './billing/disputes';
import { payInvoiceByControl } from './billing/invoice-payment';
import { advanceClock } from './billing/renewals';
import { seedCatalog } from './catalog';
import type { CatalogSeed } from './catalog';
import { createClock } from './clock';
import type { EmulatorContext } from './context';
import { createEventEmitter } from './events';
import { createFaultInjection } from './fault-injection';
import { createFailures } from './faults';
import { createApp } from './app';
import { loadSnapshot, saveSnapshot } from './snapshot';
import { createStore, wireCopy } from './store';
import {
  DEFAULT_DELIVERY_RETRY_DELAYS_MS,
  DEFAULT_DELIVERY_TIMEOUT_MS,
  DEFAULT_RETRY_SCHEDULE,
} from './types';
import type { StripeEmulator, StripeEmulatorOptions } from './types';
import { createWebhookDelivery } from './webhooks/delivery';
import { addWebhookEndpoint } from './webhooks/endpoints';

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** 0.0.0.0 / :: are fine to bind to but not to put in a browser URL. */
function browsableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startStripeEmulator<K extends string = never>(
  options: StripeEmulatorOptions<K> = {},
): Promise<StripeEmulator<K>> {
  const host = options.host ?? '127.0.0.1';
  const restored = options.snapshotFile ? loadSnapshot(options.snapshotFile) : null;
  const store = restored?.store ?? createStore();
  const clock = createClock(options.startTime);
  if (restored) clock.moveTo(restored.clockSeconds);
  const delivery = createWebhookDelivery({
    retryDelaysMs: options.deliveryRetryDelaysMs ?? DEFAULT_DELIVERY_RETRY_DELAYS_MS,
    timeoutMs: options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
    resolveTarget: (id) => store.webhookEndpoints.get(id),
  });
  const ctx: EmulatorContext = {
    store,
    clock,
    events: createEventEmitter(store, delivery),
    config: {
      publicUrl: '',
      retrySchedule: options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE,
      endStateAfterRetries: options.endStateAfterRetries ?? 'canceled',
      meterEventHoldMs: options.meterEventHoldMs ?? 0,
    },
  };
  const catalog = seedCatalog(store, options.catalog ?? ({} as CatalogSeed<K>), clock.nowSeconds());
  const addEndpoint = (url: string, secret?: string): { id: string; secret: string } => {
    const existing = [...store.webhookEndpoints.values()].find((endpoint) => endpoint.url === url);
    // a restored snapshot already has the configured endpoints; keep their ids and secrets
    if (existing && (secret === undefined || existing.secret === secret))
      return { id: existing.id, secret: existing.secret };
    const endpoint = addWebhookEndpoint(store, { url, secret }, clock.nowSeconds());
    return { id: endpoint.id, secret: endpoint.secret };
  };
  for (const endpoint of options.webhookEndpoints ?? []) addEndpoint(endpoint.url, endpoint.secret);

  const failures = createFailures();
  const faults = createFaultInjection();
  const server = createServer(createApp(ctx, delivery, failures, faults));
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${browsableHost(host)}:${port}`;
  ctx.config.publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '');

  return {
    url,
    port,
    prices: catalog.prices,
    products: catalog.products,
    addWebhookEndpoint: addEndpoint,
    clock: {
      now: () => clock.now(),
      advance: async (seconds) => advanceClock(ctx, seconds),
    },
    failures: {
      failNext: (rule) => failures.add(rule),
      pending: () => failures.pending(),
      clear: () => failures.clear(),
    },
    faults: {
      set: (rule) => faults.set(rule),
      list: () => faults.list(),
      remove: (id) => faults.remove(id),
      clear: () => faults.clear(),
    },
    checkout: {
      pay: (sessionId, payment) => payCheckoutByControl(ctx, sessionId, payment),
      resolveDelayedPayment: (sessionId, outcome) => resolveDelayedPaymentByControl(ctx, sessionId, outcome),
    },
    customers: {
      setDefaultCard: (customerId, cardNumber) => setDefaultCardByControl(ctx, customerId, cardNumber),
    },
    charges: {
      dispute: (chargeId, options) => wireCopy(openDisputeByControl(ctx, chargeId, options)),
    },
    invoices: {
      pay: (invoiceId, payment) => payInvoiceByControl(ctx, invoiceId, payment),
    },
    webhooks: {
      setMode: (mode) => delivery.setMode(mode),
      drain: () => delivery.drain(),
      log: () => delivery.log(),
      pause: () => delivery.pause(),
      resume: () => delivery.resume(),
    },
    async close() {
      delivery.close();
      if (options.snapshotFile) saveSnapshot(options.snapshotFile, store, clock.nowSeconds());
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
