import Stripe from 'stripe';
import { newId } from './ids';
import type { Store } from './store';
import { wireCopy } from './store';
import type { WebhookDelivery } from './webhooks/delivery';
import { isEnabledFor } from './webhooks/endpoints';

export type EventType = Stripe.Event['type'];
export type EventObject<T extends EventType> = Extract<Stripe.Event, { type: T }>['data']['object'];

/** When something happens and which API request caused it (null for clock-driven changes). */
export interface Moment {
  at: number;
  request: Stripe.Event.Request | null;
}

export interface EventEmitter {
  emit<T extends EventType>(
    type: T,
    object: EventObject<T>,
    moment: Moment,
    previous?: Partial<EventObject<T>> | null,
  ): Stripe.Event;
}

/**
 * Creates full event objects (api_version, created, data.object snapshot, previous_attributes on
 * updates), stores them for /v1/events and queues one delivery per enabled webhook endpoint.
 */
export function createEventEmitter(store: Store, delivery: WebhookDelivery): EventEmitter {
  return {
    emit(type, object, moment, previous) {
      const targets = [...store.webhookEndpoints.values()].filter((endpoint) => isEnabledFor(endpoint, type));
      const data: Stripe.Event.Data = previous
        ? { object: wireCopy(object), previous_attributes: wireCopy(previous) }
        : { object: wireCopy(object) };
      const event = {
        id: newId('evt'),
        object: 'event',
        api_version: Stripe.API_VERSION,
        created: moment.at,
        data,
        livemode: false,
        pending_webhooks: targets.length,
        request: moment.request ?? { id: null, idempotency_key: null },
        type,
      } as Stripe.Event;
      store.events.set(event.id, event);
      delivery.enqueue(event, JSON.stringify(event, null, 2), targets);
      return event;
    },
  };
}
