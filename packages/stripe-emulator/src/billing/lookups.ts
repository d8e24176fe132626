import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import { invoiceSubscriptionId } from '../objects/invoice';
import type { PaymentMethodRecord } from '../store';

export function getCustomer(ctx: EmulatorContext, id: string, param = 'customer'): Stripe.Customer {
  const customer = ctx.store.customers.get(id);
  if (!customer) throw resourceMissing('customer', id, param);
  return customer;
}

export function getSubscription(ctx: EmulatorContext, id: string, param = 'id'): Stripe.Subscription {
  const subscription = ctx.store.subscriptions.get(id);
  if (!subscription) throw resourceMissing('subscription', id, param);
  return subscription;
}

export function getPrice(ctx: EmulatorContext, id: string, param = 'price'): Stripe.Price {
  const price = ctx.store.prices.get(id);
  if (!price) throw resourceMissing('price', id, param);
  return price;
}

export function getProduct(ctx: EmulatorContext, id: string, param = 'product'): Stripe.Product {
  const product = ctx.store.products.get(id);
  if (!product) throw resourceMissing('product', id, param);
  return product;
}

export function getPaymentIntent(ctx: EmulatorContext, id: string, param = 'id'): Stripe.PaymentIntent {
  const intent = ctx.store.paymentIntents.get(id);
  if (!intent) throw resourceMissing('payment_intent', id, param);
  return intent;
}

export function getCharge(ctx: EmulatorContext, id: string, param = 'id'): Stripe.Charge {
  const charge = ctx.store.charges.get(id);
  if (!charge) throw resourceMissing('charge', id, param);
  return charge;
}

export function getRefund(ctx: EmulatorContext, id: string, param = 'id'): Stripe.Refund {
  const refund = ctx.store.refunds.get(id);
  if (!refund) throw resourceMissing('refund', id, param);
  return refund;
}

export function getDispute(ctx: EmulatorContext, id: string, param = 'id'): Stripe.Dispute {
  const dispute = ctx.store.disputes.get(id);
  if (!dispute) throw resourceMissing('dispute', id, param);
  return dispute;
}

export function getCheckoutSession(ctx: EmulatorContext, id: string, param = 'id'): Stripe.Checkout.Session {
  const session = ctx.store.checkoutSessions.get(id);
  if (!session) throw resourceMissing('checkout.session', id, param);
  return session;
}

export function getInvoice(ctx: EmulatorContext, id: string, param = 'id'): Stripe.Invoice {
  const invoice = ctx.store.invoices.get(id);
  if (!invoice) throw resourceMissing('invoice', id, param);
  return invoice;
}

export function customerIdOf(subscription: Stripe.Subscription): string {
  return typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id;
}

export function subscriptionOfInvoice(
  ctx: EmulatorContext,
  invoice: Stripe.Invoice,
): Stripe.Subscription | null {
  const id = invoiceSubscriptionId(invoice);
  return id === null ? null : (ctx.store.subscriptions.get(id) ?? null);
}

/** The card charged for a subscription: its own default, else the customer's invoice default. */
export function cardForSubscription(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
): PaymentMethodRecord | null {
  const own = subscription.default_payment_method;
  const customer = ctx.store.customers.get(customerIdOf(subscription));
  const fallback = customer?.invoice_settings.default_payment_method ?? null;
  const id = own ?? fallback;
  if (id === null) return null;
  return ctx.store.paymentMethods.get(typeof id === 'string' ? id : id.id) ?? null;
}

export function openInvoicesOf(ctx: EmulatorContext, subscriptionId: string): Stripe.Invoice[] {
  return [...ctx.store.invoices.values()].filter(
    (invoice) => invoice.status === 'open' && invoiceSubscriptionId(invoice) === subscriptionId,
  );
}

/** A saved payment method that must belong to the customer (a subscription's default_payment_method). */
export function customerPaymentMethod(
  ctx: EmulatorContext,
  id: string,
  customerId: string,
  param = 'default_payment_method',
): PaymentMethodRecord {
  const record = ctx.store.paymentMethods.get(id);
  if (!record || record.customer !== customerId) {
    throw invalidRequest(`No such PaymentMethod: '${id}'`, param);
  }
  return record;
}
