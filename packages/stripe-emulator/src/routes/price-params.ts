import type Stripe from 'stripe';
import { getProduct } from '../billing/lookups';
import type { BillingInterval } from '../clock';
import type { EmulatorContext } from '../context';
import { invalidRequest, missingParam } from '../errors';
import { applyMetadata, asParams, metadataParam, optionalInteger, optionalString } from '../form-parsing';
import type { Params } from '../form-parsing';
import { newId } from '../ids';
import { buildCustomPrice, buildCustomProduct } from '../objects/custom-price';

const INTERVALS: readonly BillingInterval[] = ['day', 'week', 'month', 'year'];

/** What a price_data (or POST /v1/prices) asks for, validated but not stored yet. */
export interface PriceSpec {
  currency: string;
  unitAmount: number;
  /** A fractional unit_amount_decimal (metered prices only). */
  unitAmountDecimal: string | null;
  recurring: { interval: BillingInterval; intervalCount: number; meter: string | null } | null;
  product: { id: string } | { name: string; description: string | null; metadata: Record<string, string> };
  metadata: Record<string, string>;
  lookupKey: string | null;
  nickname: string | null;
}

function parseUnitAmount(params: Params, prefix: string): number {
  const amount = optionalInteger(params, 'unit_amount');
  if (amount !== undefined) {
    if (amount < 0) throw invalidRequest('Invalid non-negative integer', `${prefix}unit_amount`);
    return amount;
  }
  const decimal = optionalString(params, 'unit_amount_decimal');
  if (decimal === undefined) throw missingParam(`${prefix}unit_amount`);
  // the emulator bills whole cents; only metered prices (billed per line, rounded) take fractions
  if (/^\d+\.\d{1,12}$/.test(decimal) && isMetered(params)) return Number(decimal);
  if (!/^\d+$/.test(decimal)) {
    throw invalidRequest(
      'The Stripe emulator supports whole-cent unit_amount_decimal values only.',
      `${prefix}unit_amount_decimal`,
    );
  }
  return Number(decimal);
}

function fractionalDecimal(params: Params): string | null {
  const decimal = params.unit_amount === undefined ? params.unit_amount_decimal : undefined;
  return typeof decimal === 'string' && decimal.includes('.') ? decimal : null;
}

function isMetered(params: Params): boolean {
  return asParams(params.recurring).usage_type === 'metered';
}

function parseRecurring(ctx: EmulatorContext, params: Params, prefix: string): PriceSpec['recurring'] {
  if (params.recurring === undefined) return null;
  const recurring = asParams(params.recurring);
  const interval = optionalString(recurring, 'interval');
  const known = INTERVALS.find((candidate) => candidate === interval);
  if (!known)
    throw invalidRequest(
      `Invalid recurring[interval]: must be one of day, week, month or year`,
      `${prefix}recurring[interval]`,
    );
  const intervalCount = optionalInteger(recurring, 'interval_count') ?? 1;
  if (intervalCount < 1)
    throw invalidRequest('Invalid positive integer', `${prefix}recurring[interval_count]`);
  const usageType = optionalString(recurring, 'usage_type') ?? 'licensed';
  if (usageType !== 'licensed' && usageType !== 'metered') {
    throw invalidRequest(
      'Invalid recurring[usage_type]: must be licensed or metered',
      `${prefix}recurring[usage_type]`,
    );
  }
  const meter = optionalString(recurring, 'meter') ?? null;
  if (usageType === 'metered' && meter === null) {
    throw invalidRequest('A metered price needs recurring[meter].', `${prefix}recurring[meter]`);
  }
  if (meter !== null && usageType !== 'metered') {
    throw invalidRequest(
      'recurring[meter] needs recurring[usage_type]=metered.',
      `${prefix}recurring[meter]`,
    );
  }
  if (meter !== null && !ctx.store.meters.has(meter)) {
    throw invalidRequest(
      `No such billing meter: '${meter}'`,
      `${prefix}recurring[meter]`,
      'resource_missing',
    );
  }
  return { interval: known, intervalCount, meter };
}

function parseProduct(ctx: EmulatorContext, params: Params, prefix: string): PriceSpec['product'] {
  const productId = optionalString(params, 'product');
  if (productId) {
    getProduct(ctx, productId, `${prefix}product`);
    return { id: productId };
  }
  if (params.product_data === undefined) throw missingParam(`${prefix}product`);
  const data = asParams(params.product_data);
  const name = optionalString(data, 'name');
  if (!name) throw missingParam(`${prefix}product_data[name]`);
  return {
    name,
    description: optionalString(data, 'description') ?? null,
    metadata: applyMetadata({}, metadataParam(data)),
  };
}

/** Parses price parameters; `prefix` names them in errors (e.g. "line_items[0][price_data]["). */
export function parsePriceSpec(ctx: EmulatorContext, params: Params, prefix = ''): PriceSpec {
  const currency = optionalString(params, 'currency');
  if (!currency) throw missingParam(`${prefix}currency`);
  if (!/^[a-zA-Z]{3}$/.test(currency))
    throw invalidRequest(`Invalid currency: ${currency}`, `${prefix}currency`);
  return {
    currency: currency.toLowerCase(),
    unitAmount: parseUnitAmount(params, prefix),
    unitAmountDecimal: fractionalDecimal(params),
    recurring: parseRecurring(ctx, params, prefix),
    product: parseProduct(ctx, params, prefix),
    metadata: applyMetadata({}, metadataParam(params)),
    lookupKey: optionalString(params, 'lookup_key') ?? null,
    nickname: optionalString(params, 'nickname') ?? null,
  };
}

/**
 * Stores the price (and its product when given as product_data). `isInline`: a Checkout price_data
 * price, which Stripe creates inactive (so it is never offered as a catalog price).
 */
export function createPrice(
  ctx: EmulatorContext,
  spec: PriceSpec,
  isInline: boolean,
): { price: Stripe.Price; createdProduct: Stripe.Product | null } {
  const created = ctx.clock.nowSeconds();
  let createdProduct: Stripe.Product | null = null;
  let productId: string;
  if ('id' in spec.product) {
    productId = spec.product.id;
  } else {
    createdProduct = buildCustomProduct({
      id: newId('prod'),
      created,
      name: spec.product.name,
      description: spec.product.description,
      active: !isInline,
      metadata: spec.product.metadata,
    });
    ctx.store.products.set(createdProduct.id, createdProduct);
    productId = createdProduct.id;
  }
  const price = buildCustomPrice({
    id: newId('price'),
    created,
    productId,
    currency: spec.currency,
    unitAmount: spec.unitAmount,
    unitAmountDecimal: spec.unitAmountDecimal,
    recurring: spec.recurring,
    active: !isInline,
    lookupKey: spec.lookupKey,
    nickname: spec.nickname,
    metadata: spec.metadata,
  });
  ctx.store.prices.set(price.id, price);
  return { price, createdProduct };
}
