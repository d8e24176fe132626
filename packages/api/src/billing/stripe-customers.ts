import Stripe from 'stripe';

/** Stripe has no such object (deleted and purged, another account's, or test data cleared). */
export function isResourceMissing(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing';
}

/**
 * Stripe deleted the customer: it answers `deleted: true`, or (once purged) that there is no such one.
 * Its customer.deleted event may have been lost: reconciliation and checkout ask Stripe themselves.
 */
export async function isDeletedCustomer(stripe: Stripe, customerId: string): Promise<boolean> {
  try {
    const customer = await stripe.customers.retrieve(customerId);
    return 'deleted' in customer && customer.deleted === true;
  } catch (error) {
    if (isResourceMissing(error)) return true;
    throw error;
  }
}
