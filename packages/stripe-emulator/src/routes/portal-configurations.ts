import { Router } from 'express';
import type Stripe from 'stripe';
import { getPrice, getProduct } from '../billing/lookups';
import type { EmulatorContext } from '../context';
import { invalidRequest, missingParam, resourceMissing } from '../errors';
import {
  applyMetadata,
  arrayParam,
  asParams,
  metadataParam,
  optionalBoolean,
  optionalString,
  stringArrayParam,
} from '../form-parsing';
import type { Params } from '../form-parsing';
import { newId } from '../ids';
import { paginate } from '../list';
import { buildPortalConfiguration } from '../objects/portal-configuration';
import type { PortalProduct } from '../objects/portal-configuration';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';

/** The features the emulator's portal models; Stripe's others are refused rather than ignored. */
const MODELLED_FEATURES = [
  'invoice_history',
  'payment_method_update',
  'subscription_cancel',
  'subscription_update',
];
const ALLOWED_UPDATES = ['price', 'quantity', 'promotion_code'];
const UPDATE_PRORATIONS = ['none', 'create_prorations', 'always_invoice'];
const SCHEDULE_CONDITIONS = ['decreasing_item_amount', 'shortening_interval'];
const CANCEL_MODES = ['at_period_end', 'immediately'];
const CANCEL_PRORATIONS = ['none', 'create_prorations'];
const MAX_PRODUCTS = 10;

export function getPortalConfiguration(
  ctx: EmulatorContext,
  id: string,
  param = 'configuration',
): Stripe.BillingPortal.Configuration {
  const configuration = ctx.store.portalConfigurations.get(id);
  if (!configuration) throw resourceMissing('configuration', id, param);
  return configuration;
}

function oneOf(params: Params, name: string, allowed: string[], path: string): string | undefined {
  const value = optionalString(params, name);
  if (value !== undefined && !allowed.includes(value)) {
    throw invalidRequest(`Invalid ${path}: must be one of ${allowed.join(', ')}`, path);
  }
  return value;
}

function enabledOf(feature: Params, path: string, isRequired = true): boolean | undefined {
  const enabled = optionalBoolean(feature, 'enabled');
  if (enabled === undefined && isRequired) throw missingParam(`${path}[enabled]`);
  return enabled;
}

/**
 * features[subscription_update][products]: each product must exist, each price must be one of that
 * product's recurring, active prices (Stripe refuses the configuration otherwise).
 */
function parseProducts(ctx: EmulatorContext, raw: unknown[]): PortalProduct[] {
  const path = 'features[subscription_update][products]';
  if (raw.length > MAX_PRODUCTS)
    throw invalidRequest(`${path} can list at most ${MAX_PRODUCTS} products.`, path);
  return raw.map((entry, index) => {
    const params = asParams(entry);
    const productId = optionalString(params, 'product');
    if (!productId) throw missingParam(`${path}[${index}][product]`);
    const product = getProduct(ctx, productId, `${path}[${index}][product]`);
    const prices = stringArrayParam(params, 'prices');
    if (prices.length === 0) throw missingParam(`${path}[${index}][prices]`);
    for (const priceId of prices) {
      const price = getPrice(ctx, priceId, `${path}[${index}][prices]`);
      const priceProduct = typeof price.product === 'string' ? price.product : price.product.id;
      if (priceProduct !== product.id) {
        throw invalidRequest(`The price ${price.id} does not belong to the product ${product.id}.`, path);
      }
      if (price.type !== 'recurring' || !price.active) {
        throw invalidRequest(`The price ${price.id} must be an active, recurring price.`, path);
      }
    }
    return { product: product.id, prices };
  });
}

/**
 * features[subscription_update][schedule_at_period_end][conditions][i][type]; an empty value (the
 * update's way to clear the list) is no condition.
 */
function parseScheduleConditions(feature: Params): string[] {
  const path = 'features[subscription_update][schedule_at_period_end]';
  const schedule = feature.schedule_at_period_end;
  if (schedule === undefined || schedule === '') return [];
  return arrayParam(asParams(schedule), 'conditions').map((entry, index) => {
    const type = oneOf(asParams(entry), 'type', SCHEDULE_CONDITIONS, `${path}[conditions][${index}][type]`);
    if (type === undefined) throw missingParam(`${path}[conditions][${index}][type]`);
    return type;
  });
}

function parseUpdateProration(feature: Params): string | undefined {
  const path = 'features[subscription_update][proration_behavior]';
  return oneOf(feature, 'proration_behavior', UPDATE_PRORATIONS, path);
}

function parseUpdate(ctx: EmulatorContext, feature: Params) {
  const path = 'features[subscription_update]';
  const enabled = enabledOf(feature, path) ?? false;
  const rawAllowed = feature.default_allowed_updates;
  const rawProducts = feature.products;
  // Optional only while the feature is off (since 2024-09-30.acacia).
  if (enabled && rawAllowed === undefined) throw missingParam(`${path}[default_allowed_updates]`);
  if (enabled && rawProducts === undefined) throw missingParam(`${path}[products]`);
  const defaultAllowedUpdates = stringArrayParam(feature, 'default_allowed_updates');
  for (const update of defaultAllowedUpdates) {
    if (!ALLOWED_UPDATES.includes(update)) {
      throw invalidRequest(
        `Invalid ${path}[default_allowed_updates]: ${update}`,
        `${path}[default_allowed_updates]`,
      );
    }
  }
  const products = rawProducts === undefined ? null : parseProducts(ctx, arrayParam(feature, 'products'));
  return {
    enabled,
    defaultAllowedUpdates,
    products,
    prorationBehavior: parseUpdateProration(feature) ?? 'none',
    scheduleConditions: parseScheduleConditions(feature),
  };
}

function parseCancel(feature: Params | null) {
  const path = 'features[subscription_cancel]';
  if (feature === null) return { enabled: false, mode: 'at_period_end', prorationBehavior: 'none' };
  return {
    enabled: enabledOf(feature, path) ?? false,
    mode: oneOf(feature, 'mode', CANCEL_MODES, `${path}[mode]`) ?? 'at_period_end',
    prorationBehavior:
      oneOf(feature, 'proration_behavior', CANCEL_PRORATIONS, `${path}[proration_behavior]`) ?? 'none',
  };
}

function parseCreate(ctx: EmulatorContext, params: Params): Stripe.BillingPortal.Configuration {
  if (params.features === undefined) throw missingParam('features');
  const features = asParams(params.features);
  for (const name of Object.keys(features)) {
    if (!MODELLED_FEATURES.includes(name)) {
      throw invalidRequest(`features[${name}] is not modelled by the emulator.`, `features[${name}]`);
    }
  }
  const featureOf = (name: string): Params | null =>
    features[name] === undefined ? null : asParams(features[name]);
  const invoiceHistory = featureOf('invoice_history');
  const paymentMethodUpdate = featureOf('payment_method_update');
  const update = featureOf('subscription_update');
  return buildPortalConfiguration({
    id: newId('bpc'),
    created: ctx.clock.nowSeconds(),
    name: optionalString(params, 'name') || null,
    defaultReturnUrl: optionalString(params, 'default_return_url') || null,
    metadata: applyMetadata({}, metadataParam(params)),
    invoiceHistory: invoiceHistory
      ? (enabledOf(invoiceHistory, 'features[invoice_history]') ?? false)
      : false,
    paymentMethodUpdate: paymentMethodUpdate
      ? (enabledOf(paymentMethodUpdate, 'features[payment_method_update]') ?? false)
      : false,
    cancel: parseCancel(featureOf('subscription_cancel')),
    update: update
      ? parseUpdate(ctx, update)
      : {
          enabled: false,
          defaultAllowedUpdates: [],
          products: null,
          prorationBehavior: 'none',
          scheduleConditions: [],
        },
  });
}

/** Settings of an existing configuration's features that an update may change; others are refused. */
const UPDATABLE_SUBSCRIPTION_UPDATE = ['proration_behavior', 'schedule_at_period_end'];

/**
 * features[subscription_update][proration_behavior|schedule_at_period_end] on an update (validated
 * before anything changes); any other feature update is not modelled: create a configuration instead.
 */
function applyFeatureUpdate(configuration: Stripe.BillingPortal.Configuration, features: Params): void {
  const update = asParams(features.subscription_update);
  const isModelled =
    Object.keys(features).every((name) => name === 'subscription_update') &&
    Object.keys(update).every((name) => UPDATABLE_SUBSCRIPTION_UPDATE.includes(name));
  if (!isModelled) {
    throw invalidRequest(
      'Updating features other than subscription_update[proration_behavior|schedule_at_period_end] is not modelled by the emulator: create a configuration.',
      'features',
    );
  }
  const prorationBehavior = parseUpdateProration(update);
  const conditions =
    update.schedule_at_period_end === undefined ? undefined : parseScheduleConditions(update);
  const target = configuration.features.subscription_update;
  if (prorationBehavior !== undefined) target.proration_behavior = prorationBehavior;
  if (conditions !== undefined)
    target.schedule_at_period_end = { conditions: conditions.map((type) => ({ type })) };
}

/**
 * Customer portal configurations: create, retrieve, list (filtered by `active` / `is_default`) and the
 * updates that matter to a caller finding its own again (active, name, metadata) or changing how
 * the portal times and prorates plan switches (subscription_update's proration_behavior and
 * schedule_at_period_end). Which prices a
 * portal session may switch to comes from its configuration (see portal-routes.ts).
 */
export function portalConfigurationRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.post('/v1/billing_portal/configurations', (req, res) => {
    const params = requestParams(req);
    const configuration = parseCreate(ctx, params);
    ctx.store.portalConfigurations.set(configuration.id, configuration);
    ctx.events.emit('billing_portal.configuration.created', configuration, requestMoment(ctx, req, res));
    respond(ctx, res, configuration, params);
  });

  router.get('/v1/billing_portal/configurations', (req, res) => {
    const params = requestParams(req);
    const active = optionalBoolean(params, 'active');
    const isDefault = optionalBoolean(params, 'is_default');
    const configurations = [...ctx.store.portalConfigurations.values()].filter(
      (configuration) =>
        (active === undefined || configuration.active === active) &&
        (isDefault === undefined || configuration.is_default === isDefault),
    );
    respond(ctx, res, paginate(configurations, params, '/v1/billing_portal/configurations'), params);
  });

  router.get('/v1/billing_portal/configurations/:id', (req, res) => {
    respond(ctx, res, getPortalConfiguration(ctx, pathParam(req, 'id'), 'id'), requestParams(req));
  });

  router.post('/v1/billing_portal/configurations/:id', (req, res) => {
    const params = requestParams(req);
    const configuration = getPortalConfiguration(ctx, pathParam(req, 'id'), 'id');
    if (params.features !== undefined) applyFeatureUpdate(configuration, asParams(params.features));
    const active = optionalBoolean(params, 'active');
    if (active !== undefined) configuration.active = active;
    const name = optionalString(params, 'name');
    if (name !== undefined) configuration.name = name || null;
    configuration.metadata = applyMetadata(configuration.metadata ?? {}, metadataParam(params));
    configuration.updated = ctx.clock.nowSeconds();
    ctx.events.emit('billing_portal.configuration.updated', configuration, requestMoment(ctx, req, res));
    respond(ctx, res, configuration, params);
  });

  return router;
}
