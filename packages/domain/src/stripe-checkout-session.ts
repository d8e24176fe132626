import { z } from 'zod';
import { expandableIdSchema, metadataSchema, metadataUserId, parseStripeObject } from './stripe-shared';

export interface StripeCheckoutSessionSnapshot {
  id: string;
  customerId: string | null;
  subscriptionId: string | null;
  /** Tollgate sets this to the user id when it creates the session. */
  clientReferenceId: string | null;
  metadataUserId: string | null;
  mode: string;
  status: string | null;
  paymentStatus: string | null;
}

const checkoutSessionSchema = z.object({
  id: z.string().min(1),
  object: z.literal('checkout.session').optional(),
  customer: expandableIdSchema.nullish(),
  subscription: expandableIdSchema.nullish(),
  client_reference_id: z.string().nullish(),
  metadata: metadataSchema,
  mode: z.string().min(1),
  status: z.string().nullish(),
  payment_status: z.string().nullish(),
});

export function parseStripeCheckoutSession(json: unknown): StripeCheckoutSessionSnapshot {
  const session = parseStripeObject(checkoutSessionSchema, json, 'checkout session');
  return {
    id: session.id,
    customerId: session.customer ?? null,
    subscriptionId: session.subscription ?? null,
    clientReferenceId: session.client_reference_id || null,
    metadataUserId: metadataUserId(session.metadata),
    mode: session.mode,
    status: session.status ?? null,
    paymentStatus: session.payment_status ?? null,
  };
}
