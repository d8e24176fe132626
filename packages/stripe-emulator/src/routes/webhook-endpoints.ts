import { Router } from 'express';
import type { EmulatorContext } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import {
  applyMetadata,
  metadataParam,
  optionalBoolean,
  optionalString,
  requireString,
  stringArrayParam,
} from '../form-parsing';
import { paginate } from '../list';
import { pathParam, requestParams } from '../request-context';
import { respond } from '../respond';
import type { StoredWebhookEndpoint } from '../store';
import { addWebhookEndpoint, endpointView } from '../webhooks/endpoints';

function validUrl(value: string, param: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // fall through to the Stripe-style error
  }
  throw invalidRequest(`Invalid URL: ${value}`, param, 'url_invalid');
}

/** Lets a server that starts after the emulator register itself (the response carries the secret). */
export function webhookEndpointRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  const getEndpoint = (id: string): StoredWebhookEndpoint => {
    const endpoint = ctx.store.webhookEndpoints.get(id);
    if (!endpoint) throw resourceMissing('webhook_endpoint', id);
    return endpoint;
  };

  router.post('/v1/webhook_endpoints', (req, res) => {
    const params = requestParams(req);
    const endpoint = addWebhookEndpoint(
      ctx.store,
      {
        url: validUrl(requireString(params, 'url'), 'url'),
        enabledEvents: stringArrayParam(params, 'enabled_events'),
        description: optionalString(params, 'description') ?? null,
        metadata: applyMetadata({}, metadataParam(params)),
      },
      ctx.clock.nowSeconds(),
    );
    respond(ctx, res, endpointView(endpoint, true), params);
  });

  router.get('/v1/webhook_endpoints', (req, res) => {
    const params = requestParams(req);
    const endpoints = [...ctx.store.webhookEndpoints.values()].map((endpoint) =>
      endpointView(endpoint, false),
    );
    respond(ctx, res, paginate(endpoints, params, '/v1/webhook_endpoints'), params);
  });

  router.get('/v1/webhook_endpoints/:id', (req, res) => {
    respond(ctx, res, endpointView(getEndpoint(pathParam(req, 'id')), false), requestParams(req));
  });

  router.post('/v1/webhook_endpoints/:id', (req, res) => {
    const params = requestParams(req);
    const endpoint = getEndpoint(pathParam(req, 'id'));
    const url = optionalString(params, 'url');
    if (url !== undefined) endpoint.url = validUrl(url, 'url');
    const enabledEvents = stringArrayParam(params, 'enabled_events');
    if (enabledEvents.length > 0) endpoint.enabled_events = enabledEvents;
    const isDisabled = optionalBoolean(params, 'disabled');
    if (isDisabled !== undefined) endpoint.status = isDisabled ? 'disabled' : 'enabled';
    endpoint.metadata = applyMetadata(endpoint.metadata, metadataParam(params));
    respond(ctx, res, endpointView(endpoint, false), params);
  });

  router.delete('/v1/webhook_endpoints/:id', (req, res) => {
    const endpoint = getEndpoint(pathParam(req, 'id'));
    ctx.store.webhookEndpoints.delete(endpoint.id);
    res.json({ id: endpoint.id, object: 'webhook_endpoint', deleted: true });
  });

  return router;
}
