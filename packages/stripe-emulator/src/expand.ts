import type { EmulatorContext } from './context';
import { invalidRequest } from './errors';
import { buildCheckoutLineItem } from './objects/checkout-session';
import { toPaymentMethod } from './objects/payment-method';
import { wireCopy } from './store';

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notExpandable(path: string): never {
  throw invalidRequest(`This property cannot be expanded (${path}).`, 'expand');
}

/** Finds any stored object by its id prefix. */
function lookup(ctx: EmulatorContext, id: string): unknown {
  const { store } = ctx;
  if (id.startsWith('cus_')) return store.customers.get(id);
  if (id.startsWith('sub_sched_')) return store.subscriptionSchedules.get(id);
  if (id.startsWith('sub_')) return store.subscriptions.get(id);
  if (id.startsWith('in_')) return store.invoices.get(id);
  if (id.startsWith('ii_')) return store.invoiceItems.get(id);
  if (id.startsWith('cs_')) return store.checkoutSessions.get(id);
  if (id.startsWith('price_')) return store.prices.get(id);
  if (id.startsWith('prod_')) return store.products.get(id);
  if (id.startsWith('bps_')) return store.portalSessions.get(id);
  if (id.startsWith('bpc_')) return store.portalConfigurations.get(id);
  if (id.startsWith('pi_')) return store.paymentIntents.get(id);
  if (id.startsWith('ch_')) return store.charges.get(id);
  if (id.startsWith('re_')) return store.refunds.get(id);
  if (id.startsWith('du_')) return store.disputes.get(id);
  if (id.startsWith('pm_')) {
    const record = store.paymentMethods.get(id);
    return record ? toPaymentMethod(record) : undefined;
  }
  return undefined;
}

/** Fields Stripe only includes when expanded. */
function includable(ctx: EmulatorContext, node: Node, field: string): unknown {
  if (node.object === 'checkout.session' && field === 'line_items' && typeof node.id === 'string') {
    const id = node.id;
    const extras = ctx.store.checkoutExtras.get(id);
    const data = (extras?.lineItems ?? []).flatMap((line, index) => {
      const price = ctx.store.prices.get(line.price);
      return price ? [buildCheckoutLineItem(`li_${id.slice(-14)}${index}`, price, line.quantity)] : [];
    });
    return { object: 'list', data, has_more: false, url: `/v1/checkout/sessions/${id}/line_items` };
  }
  // since API 2022-11-15 a charge carries its refunds only when asked for (expand[]=refunds)
  if (node.object === 'charge' && field === 'refunds' && typeof node.id === 'string') {
    const id = node.id;
    const data = [...ctx.store.refunds.values()].filter((refund) => refund.charge === id).reverse();
    return { object: 'list', data, has_more: false, url: `/v1/charges/${id}/refunds` };
  }
  return undefined;
}

function expandPath(ctx: EmulatorContext, node: unknown, segments: string[], path: string): void {
  const [field, ...rest] = segments;
  if (field === undefined) return;
  if (Array.isArray(node)) {
    for (const element of node) expandPath(ctx, element, segments, path);
    return;
  }
  if (!isNode(node)) notExpandable(path);
  if (!(field in node)) {
    const included = includable(ctx, node, field);
    if (included === undefined) notExpandable(path);
    node[field] = wireCopy(included);
  }
  let value = node[field];
  if (typeof value === 'string') {
    const target = lookup(ctx, value);
    if (target === undefined) notExpandable(path);
    value = wireCopy(target);
    node[field] = value;
  }
  if (value === null || value === undefined) return;
  if (rest[0] === 'data' && isNode(value) && Array.isArray(value.data)) {
    expandPath(ctx, value.data, rest.slice(1), path);
    return;
  }
  expandPath(ctx, value, rest, path);
}

/**
 * Applies Stripe's `expand[]` to a wire copy of `object`: each dotted path replaces an id with the
 * object (recursively, through lists via `data.`), e.g. subscription.latest_invoice or
 * parent.subscription_details.subscription. Unknown or non-id paths are rejected like Stripe does.
 */
export function expandObject<T>(ctx: EmulatorContext, object: T, paths: string[]): T {
  const copy = wireCopy(object);
  for (const path of paths) expandPath(ctx, copy, path.split('.'), path);
  return copy;
}
