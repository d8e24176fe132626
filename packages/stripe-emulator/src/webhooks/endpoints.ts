import Stripe from 'stripe';
import { newId, newWebhookSecret } from '../ids';
import type { StoredWebhookEndpoint, Store } from '../store';

export interface EndpointInput {
  url: string;
  secret?: string | undefined;
  enabledEvents?: string[] | undefined;
  description?: string | null | undefined;
  metadata?: Record<string, string> | undefined;
}

export function addWebhookEndpoint(
  store: Store,
  input: EndpointInput,
  created: number,
): StoredWebhookEndpoint {
  const endpoint: StoredWebhookEndpoint = {
    id: newId('we'),
    object: 'webhook_endpoint',
    api_version: Stripe.API_VERSION,
    application: null,
    created,
    description: input.description ?? null,
    enabled_events: input.enabledEvents && input.enabledEvents.length > 0 ? input.enabledEvents : ['*'],
    livemode: false,
    metadata: input.metadata ?? {},
    secret: input.secret ?? newWebhookSecret(),
    status: 'enabled',
    url: input.url,
  };
  store.webhookEndpoints.set(endpoint.id, endpoint);
  return endpoint;
}

/** Stripe only reveals an endpoint's secret in the response that created it. */
export function endpointView(endpoint: StoredWebhookEndpoint, isCreation: boolean): Stripe.WebhookEndpoint {
  if (isCreation) return { ...endpoint };
  const { secret: _secret, ...rest } = endpoint;
  return rest;
}

export function isEnabledFor(endpoint: StoredWebhookEndpoint, eventType: string): boolean {
  if (endpoint.status !== 'enabled') return false;
  return endpoint.enabled_events.includes('*') || endpoint.enabled_events.includes(eventType);
}
