import type Stripe from 'stripe';

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
