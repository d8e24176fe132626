import Stripe from 'stripe';

/**
 * Stripe has no such object: a 404 `resource_missing` ("No such subscription: 'sub_…'"), for one
 * deleted and purged, another account's or mode's, or test data cleared.
 */
export function isResourceMissing(error: unknown): error is Stripe.errors.StripeInvalidRequestError {
  return error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing';
}
