import { z } from 'zod';
import {
  expandableIdSchema,
  metadataAccountId,
  metadataSchema,
  metadataUserId,
  parseStripeObject,
} from './stripe-shared';

export interface StripeCheckoutSessionSnapshot {
  id: string;
  customerId: string | null;
  subscriptionId: string | null;
  /** `"account:<uuid>"` since billing accounts, a bare user id before: read it with parseClientReference. */
  clientReferenceId: string | null;
  metadataUserId: string | null;
  metadataAccountId: string | null;
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
    metadataAccountId: metadataAccountId(session.metadata),
    mode: session.mode,
    status: session.status ?? null,
    paymentStatus: session.payment_status ?? null,
  };
}

/** Who a checkout session was created for, as its client_reference_id says. */
export type ClientReference = { kind: 'account'; id: string } | { kind: 'user'; id: string };

/** Checkout's client_reference_id names an account as `account:<uuid>` (Tollgate's own sessions). */
export const ACCOUNT_REFERENCE_PREFIX = 'account:';

/**
 * `"account:<uuid>"` names a billing account (sessions created since billing accounts); any other
 * non-empty string is a user id, as on every session created before: those stay valid forever (a
 * session completed long after it was opened still maps back to its user). Only a real uuid after the
 * prefix makes an account, so a user id that merely starts with "account:" is still that user.
 */
export function parseClientReference(ref: string | null | undefined): ClientReference | null {
  if (!ref) return null;
  const id = ref.startsWith(ACCOUNT_REFERENCE_PREFIX) ? ref.slice(ACCOUNT_REFERENCE_PREFIX.length) : null;
  if (id !== null && z.uuid().safeParse(id).success) return { kind: 'account', id };
  return { kind: 'user', id: ref };
}
