import { Router } from 'express';
import { aggregateMeter, getMeter } from '../billing/meters';
import { advanceClock } from '../billing/renewals';
import type { EmulatorContext } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import { parseFaultRule, type FaultInjection } from '../fault-injection';
import { parseFailureRule, type Failures } from '../faults';
import { asParams, jsonBody } from '../form-parsing';
import type { WebhookDelivery, WebhookMode } from '../webhooks/delivery';
import { endpointView } from '../webhooks/endpoints';

function parseMode(body: unknown): Partial<WebhookMode> {
  const params = asParams(body);
  const mode: Partial<WebhookMode> = {};
  for (const key of ['duplicate', 'shuffle'] as const) {
    const value = params[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw invalidRequest(`${key} must be a boolean`, key);
    mode[key] = value;
  }
  if (params.seed !== undefined) {
    if (typeof params.seed !== 'number' || !Number.isInteger(params.seed)) {
      throw invalidRequest('seed must be an integer', 'seed');
    }
    mode.seed = params.seed;
  }
  return mode;
}

/**
 * /_emulator/*: test and dev controls (clock, deliveries, state) for other processes, e.g. the
 * browser e2e tests. Unauthenticated on purpose: the emulator only ever listens on a dev machine.
 */
export function controlRoutes(
  ctx: EmulatorContext,
  delivery: WebhookDelivery,
  failures: Failures,
  faults: FaultInjection,
): Router {
  const router = Router();
  router.use('/_emulator', jsonBody);

  router.post('/_emulator/clock/advance', (req, res) => {
    const seconds = asParams(req.body).seconds;
    if (typeof seconds !== 'number') throw invalidRequest('seconds must be a number', 'seconds');
    advanceClock(ctx, seconds);
    res.json({ now: ctx.clock.now().toISOString(), nowSeconds: ctx.clock.nowSeconds() });
  });

  router.get('/_emulator/clock', (_req, res) => {
    res.json({ now: ctx.clock.now().toISOString(), nowSeconds: ctx.clock.nowSeconds() });
  });

  router.get('/_emulator/state', (_req, res) => {
    const { store } = ctx;
    res.json({
      now: ctx.clock.now().toISOString(),
      customers: [...store.customers.values()],
      products: [...store.products.values()],
      prices: [...store.prices.values()],
      subscriptions: [...store.subscriptions.values()],
      subscriptionSchedules: [...store.subscriptionSchedules.values()],
      invoices: [...store.invoices.values()],
      invoiceItems: [...store.invoiceItems.values()],
      checkoutSessions: [...store.checkoutSessions.values()],
      paymentIntents: [...store.paymentIntents.values()],
      charges: [...store.charges.values()],
      refunds: [...store.refunds.values()],
      disputes: [...store.disputes.values()],
      portalSessions: [...store.portalSessions.values()],
      portalConfigurations: [...store.portalConfigurations.values()],
      meters: [...store.meters.values()],
      meterEvents: [...store.meterEvents.values()],
      meterEventAdjustments: [...store.meterEventAdjustments.values()],
      webhookEndpoints: [...store.webhookEndpoints.values()].map((endpoint) => endpointView(endpoint, true)),
      events: [...store.events.values()].map((event) => ({
        id: event.id,
        type: event.type,
        created: event.created,
      })),
      webhookMode: delivery.mode(),
    });
  });

  // A meter's aggregation for a customer over [start, end) (unix seconds, any alignment; defaults: all time)
  router.get('/_emulator/meters/:id/total', (req, res) => {
    const meter = getMeter(ctx, req.params.id);
    const query = asParams(req.query);
    const customer = query.customer;
    if (typeof customer !== 'string' || customer === '')
      throw invalidRequest('customer is required', 'customer');
    const bound = (name: string, fallback: number): number => {
      const value = query[name];
      if (value === undefined) return fallback;
      if (typeof value !== 'string' || !/^\d+$/.test(value))
        throw invalidRequest(`${name} must be unix seconds`, name);
      return Number(value);
    };
    const start = bound('start', 0);
    const end = bound('end', Number.MAX_SAFE_INTEGER);
    res.json({
      meter: meter.id,
      customer,
      start,
      end,
      total: aggregateMeter(ctx, meter, customer, start, end),
    });
  });

  router.get('/_emulator/deliveries', (_req, res) => {
    res.json({ mode: delivery.mode(), deliveries: delivery.log() });
  });

  router.post('/_emulator/webhooks/drain', async (_req, res) => {
    await delivery.drain();
    res.json({ deliveries: delivery.log() });
  });

  router.post('/_emulator/webhooks/mode', (req, res) => {
    delivery.setMode(parseMode(req.body));
    res.json({ mode: delivery.mode() });
  });

  router.post('/_emulator/webhooks/pause', (_req, res) => {
    delivery.pause();
    res.json({ isPaused: true });
  });

  router.post('/_emulator/webhooks/resume', (_req, res) => {
    delivery.resume();
    res.json({ isPaused: false });
  });

  router.post('/_emulator/failures', (req, res) => {
    const added = failures.add(parseFailureRule(req.body));
    res.json({ added, failures: failures.pending() });
  });

  router.get('/_emulator/failures', (_req, res) => {
    res.json({ failures: failures.pending() });
  });

  router.delete('/_emulator/failures', (_req, res) => {
    failures.clear();
    res.json({ failures: [] });
  });

  router.post('/_emulator/faults', (req, res) => {
    const fault = faults.set(parseFaultRule(req.body));
    res.json({ fault, faults: faults.list() });
  });

  router.get('/_emulator/faults', (_req, res) => {
    res.json({ faults: faults.list() });
  });

  router.delete('/_emulator/faults', (_req, res) => {
    faults.clear();
    res.json({ faults: [] });
  });

  router.delete('/_emulator/faults/:id', (req, res) => {
    const id = req.params.id;
    if (!faults.remove(id)) throw resourceMissing('fault', id);
    res.json({ faults: faults.list() });
  });

  return router;
}
