import type Stripe from 'stripe';
import { invalidRequest, missingParam } from '../errors';
import { optionalInteger, optionalString } from '../form-parsing';
import type { Params } from '../form-parsing';

export interface CollectionSettings {
  collectionMethod: Stripe.Subscription.CollectionMethod;
  daysUntilDue: number | null;
}

/**
 * `collection_method` and `days_until_due` of a subscription create or update (`current`: the
 * subscription's settings, null on create). Like Stripe, days_until_due is required with send_invoice
 * and refused with charge_automatically; switching to charge_automatically clears it.
 */
export function parseCollection(params: Params, current: CollectionSettings | null): CollectionSettings {
  const method = optionalString(params, 'collection_method');
  if (method !== undefined && method !== 'charge_automatically' && method !== 'send_invoice') {
    throw invalidRequest(
      'Invalid collection_method: must be one of charge_automatically or send_invoice',
      'collection_method',
    );
  }
  const collectionMethod = method ?? current?.collectionMethod ?? 'charge_automatically';
  const days = optionalInteger(params, 'days_until_due');
  if (days !== undefined && days < 0) throw invalidRequest('Invalid non-negative integer', 'days_until_due');
  if (collectionMethod === 'charge_automatically') {
    if (days !== undefined) {
      throw invalidRequest(
        'days_until_due can only be set when collection_method is send_invoice.',
        'days_until_due',
      );
    }
    return { collectionMethod, daysUntilDue: null };
  }
  const daysUntilDue = days ?? (current?.collectionMethod === 'send_invoice' ? current.daysUntilDue : null);
  if (daysUntilDue === null) throw missingParam('days_until_due');
  return { collectionMethod, daysUntilDue };
}

/**
 * Like Stripe: an invoice sent to the customer needs the customer's email ("Missing email"), so a
 * subscription billed by invoice is refused for a customer without one.
 */
export function requireInvoiceEmail(settings: CollectionSettings, customer: Stripe.Customer): void {
  if (settings.collectionMethod !== 'send_invoice' || customer.email) return;
  throw invalidRequest(
    'Missing email. In order to create invoices that are sent to the customer, the customer must have a valid email.',
    'customer',
    'customer_email_missing',
  );
}
