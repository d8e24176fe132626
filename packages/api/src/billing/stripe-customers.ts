import Stripe from 'stripe';

/** Stripe has no such object (deleted and purged, another account's, or test data cleared). */
export function isResourceMissing(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing';
}

/**
 * Stripe deleted the customer: a retrieve answers `{ deleted: true }` (Stripe keeps the deleted stub).
 * Its customer.deleted event may have been lost: reconciliation and checkout ask Stripe themselves.
 * "No such customer" is not taken for a deletion: it is what a key of the wrong mode or account gets
 * for every customer, and unlinking them all would cut every account off its subscription.
 */
export async function isDeletedCustomer(stripe: Stripe, customerId: string): Promise<boolean> {
  const customer = await stripe.customers.retrieve(customerId);
  return 'deleted' in customer && customer.deleted === true;
}
