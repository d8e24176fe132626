import { Router } from 'express';
import type { Request, Response } from 'express';
import type Stripe from 'stripe';
import {
  aggregateMeter,
  cancelMeterEvent,
  getMeter,
  recordMeterEvent,
  validateMeterEvent,
} from '../billing/meters';
import type { MeterEventRequest } from '../billing/meters';
import type { EmulatorContext } from '../context';
import { StripeApiError, invalidRequest, missingParam } from '../errors';
import { asParams, optionalInteger, optionalString, requireString } from '../form-parsing';
import type { Params } from '../form-parsing';
import { newId } from '../ids';
import { paginate } from '../list';
import { buildMeter, buildMeterEventSummary } from '../objects/meter';
import { pathParam, requestParams } from '../request-context';
import { respond } from '../respond';

const FORMULAS = ['sum', 'count', 'last'] as const;
const MINUTE = 60;
const GROUPING_SECONDS: Record<string, number> = { hour: 3_600, day: 86_400 };

function parseMeterCreate(ctx: EmulatorContext, params: Params): Stripe.Billing.Meter {
  const displayName = requireString(params, 'display_name');
  const eventName = requireString(params, 'event_name');
  if (params.default_aggregation === undefined) throw missingParam('default_aggregation');
  const formulaParam = optionalString(asParams(params.default_aggregation), 'formula');
  const formula = FORMULAS.find((known) => known === formulaParam);
  if (!formula) {
    throw invalidRequest(
      'Invalid default_aggregation[formula]: must be one of sum, count or last',
      'default_aggregation[formula]',
    );
  }
  const mapping = asParams(params.customer_mapping);
  const mappingType = optionalString(mapping, 'type') ?? 'by_id';
  if (mappingType !== 'by_id')
    throw invalidRequest('Invalid customer_mapping[type]: must be by_id', 'customer_mapping[type]');
  const windowParam = optionalString(params, 'event_time_window');
  if (windowParam !== undefined && windowParam !== 'hour' && windowParam !== 'day') {
    throw invalidRequest('Invalid event_time_window: must be one of day or hour', 'event_time_window');
  }
  if ([...ctx.store.meters.values()].some((meter) => meter.event_name === eventName)) {
    throw invalidRequest(
      `A meter with event_name '${eventName}' already exists. An event name can only be used by one meter.`,
      'event_name',
    );
  }
  return buildMeter({
    id: newId('mtr_test'),
    created: ctx.clock.nowSeconds(),
    displayName,
    eventName,
    formula,
    customerPayloadKey: optionalString(mapping, 'event_payload_key') ?? 'stripe_customer_id',
    valuePayloadKey: optionalString(asParams(params.value_settings), 'event_payload_key') ?? 'value',
    eventTimeWindow: windowParam ?? null,
  });
}

function parseMeterEventRequest(params: Params): MeterEventRequest {
  const eventName = requireString(params, 'event_name');
  if (params.payload === undefined) throw missingParam('payload');
  const payload: Record<string, string> = {};
  for (const [key, value] of Object.entries(asParams(params.payload))) {
    if (typeof value !== 'string') throw invalidRequest(`Invalid string: payload[${key}]`, `payload[${key}]`);
    payload[key] = value;
  }
  return {
    eventName,
    payload,
    identifier: optionalString(params, 'identifier') || undefined,
    timestamp: optionalInteger(params, 'timestamp'),
  };
}

function minuteAligned(params: Params, name: string): number {
  const value = optionalInteger(params, name);
  if (value === undefined) throw missingParam(name);
  if (value % MINUTE !== 0) throw invalidRequest(`${name} must be aligned with minute boundaries.`, name);
  return value;
}

function summaryWindows(
  start: number,
  end: number,
  grouping: string | undefined,
): { start: number; end: number }[] {
  if (grouping === undefined) return [{ start, end }];
  const size = GROUPING_SECONDS[grouping];
  if (size === undefined)
    throw invalidRequest(
      'Invalid value_grouping_window: must be one of day or hour',
      'value_grouping_window',
    );
  const windows: { start: number; end: number }[] = [];
  for (let from = start; from < end; from = Math.floor(from / size) * size + size) {
    windows.push({ start: from, end: Math.min(end, Math.floor(from / size) * size + size) });
  }
  return windows;
}

/** Stripe's non-retryable refusals carry Stripe-Should-Retry: false, so the SDK does not retry them. */
function withNoRetryOn4xx<T>(res: Response, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof StripeApiError && error.status >= 400 && error.status < 500 && error.status !== 429)
      res.setHeader('Stripe-Should-Retry', 'false');
    throw error;
  }
}

/**
 * Billing meters, meter events (with Stripe's 24 h identifier uniqueness and its one concurrent call
 * per customer and meter), cancel adjustments and event summaries.
 */
export function meterRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  const inFlight = new Set<string>();

  router.post('/v1/billing/meters', (req, res) => {
    const params = requestParams(req);
    const meter = parseMeterCreate(ctx, params);
    ctx.store.meters.set(meter.id, meter);
    respond(ctx, res, meter, params);
  });

  router.get('/v1/billing/meters', (req, res) => {
    const params = requestParams(req);
    const status = optionalString(params, 'status');
    const meters = [...ctx.store.meters.values()].filter((meter) => !status || meter.status === status);
    respond(ctx, res, paginate(meters, params, '/v1/billing/meters'), params);
  });

  router.get('/v1/billing/meters/:id', (req, res) => {
    respond(ctx, res, getMeter(ctx, pathParam(req, 'id')), requestParams(req));
  });

  router.post('/v1/billing/meters/:id', (req, res) => {
    const params = requestParams(req);
    const meter = getMeter(ctx, pathParam(req, 'id'));
    const displayName = optionalString(params, 'display_name');
    if (displayName) {
      meter.display_name = displayName;
      meter.updated = ctx.clock.nowSeconds();
    }
    respond(ctx, res, meter, params);
  });

  const setStatus = (req: Request, res: Response, isActive: boolean): void => {
    const params = requestParams(req);
    const meter = getMeter(ctx, pathParam(req, 'id'));
    if ((meter.status === 'active') === isActive) {
      throw invalidRequest(`The meter ${meter.id} is already ${meter.status}.`);
    }
    const now = ctx.clock.nowSeconds();
    meter.status = isActive ? 'active' : 'inactive';
    meter.status_transitions = { deactivated_at: isActive ? null : now };
    meter.updated = now;
    respond(ctx, res, meter, params);
  };
  router.post('/v1/billing/meters/:id/deactivate', (req, res) => setStatus(req, res, false));
  router.post('/v1/billing/meters/:id/reactivate', (req, res) => setStatus(req, res, true));

  router.get('/v1/billing/meters/:id/event_summaries', (req, res) => {
    const params = requestParams(req);
    const meter = getMeter(ctx, pathParam(req, 'id'));
    const customer = requireString(params, 'customer');
    const start = minuteAligned(params, 'start_time');
    const end = minuteAligned(params, 'end_time');
    if (end <= start) throw invalidRequest('end_time must be after start_time.', 'end_time');
    const windows = summaryWindows(start, end, optionalString(params, 'value_grouping_window'));
    const summaries = windows.map((window) =>
      buildMeterEventSummary(
        newId('mtrusg_test'),
        meter.id,
        aggregateMeter(ctx, meter, customer, window.start, window.end),
        window,
      ),
    );
    respond(ctx, res, paginate(summaries, params, `/v1/billing/meters/${meter.id}/event_summaries`), params);
  });

  router.post('/v1/billing/meter_events', async (req, res) => {
    const params = requestParams(req);
    const request = withNoRetryOn4xx(res, () => parseMeterEventRequest(params));
    const validated = withNoRetryOn4xx(res, () => validateMeterEvent(ctx, request));
    const lockKey = `${validated.customer}\u0000${validated.meter.id}`;
    if (inFlight.has(lockKey)) {
      res.setHeader('Retry-After', '1');
      throw new StripeApiError({
        status: 429,
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: `Too many concurrent requests for customer ${validated.customer} on meter ${validated.meter.id}: meter events allow one concurrent call per customer per meter. Retry with backoff.`,
      });
    }
    const event = recordMeterEvent(ctx, request, validated);
    if (ctx.config.meterEventHoldMs <= 0) {
      respond(ctx, res, event, params);
      return;
    }
    inFlight.add(lockKey);
    try {
      await new Promise((resolve) => setTimeout(resolve, ctx.config.meterEventHoldMs));
    } finally {
      inFlight.delete(lockKey);
    }
    respond(ctx, res, event, params);
  });

  router.post('/v1/billing/meter_event_adjustments', (req, res) => {
    const params = requestParams(req);
    const adjustment = withNoRetryOn4xx(res, () => {
      const eventName = requireString(params, 'event_name');
      const type = requireString(params, 'type');
      if (type !== 'cancel') throw invalidRequest('Invalid type: must be cancel', 'type');
      const identifier = optionalString(asParams(params.cancel), 'identifier');
      if (!identifier) throw missingParam('cancel[identifier]');
      return cancelMeterEvent(ctx, eventName, identifier);
    });
    respond(ctx, res, adjustment, params);
  });

  return router;
}
