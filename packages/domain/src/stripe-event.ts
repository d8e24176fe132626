import { z } from 'zod';
import { parseStripeObject, unixTimeSchema } from './stripe-shared';

/** The envelope of a Stripe webhook event; `object` is handed to the matching parser. */
export interface StripeEventEnvelope {
  id: string;
  type: string;
  apiVersion: string | null;
  created: Date;
  object: unknown;
}

const eventSchema = z.object({
  id: z.string().min(1),
  object: z.literal('event').optional(),
  type: z.string().min(1),
  api_version: z.string().nullish(),
  created: unixTimeSchema,
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

export function parseStripeEvent(json: unknown): StripeEventEnvelope {
  const event = parseStripeObject(eventSchema, json, 'event');
  return {
    id: event.id,
    type: event.type,
    apiVersion: event.api_version ?? null,
    created: event.created,
    object: event.data.object,
  };
}
