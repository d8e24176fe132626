import { Router } from 'express';
import { getPrice } from '../billing/lookups';
import type { EmulatorContext } from '../context';
import { invalidRequest, missingParam, resourceMissing } from '../errors';
import {
  applyMetadata,
  metadataParam,
  optionalBoolean,
  optionalString,
  stringArrayParam,
} from '../form-parsing';
import { newId } from '../ids';
import { paginate } from '../list';
import { buildCustomProduct } from '../objects/custom-price';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';
import { createPrice, parsePriceSpec } from './price-params';

/**
 * Products and prices: the caller's catalog is seeded at start; more (e.g. one-time prices) can be
 * created, not updated or deleted.
 */
export function catalogRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.post('/v1/products', (req, res) => {
    const params = requestParams(req);
    const name = optionalString(params, 'name');
    if (!name) throw missingParam('name');
    const id = optionalString(params, 'id') ?? newId('prod');
    if (ctx.store.products.has(id))
      throw invalidRequest('Product already exists.', 'id', 'resource_already_exists');
    const product = buildCustomProduct({
      id,
      created: ctx.clock.nowSeconds(),
      name,
      description: optionalString(params, 'description') ?? null,
      active: optionalBoolean(params, 'active') ?? true,
      metadata: applyMetadata({}, metadataParam(params)),
    });
    ctx.store.products.set(product.id, product);
    ctx.events.emit('product.created', product, requestMoment(ctx, req, res));
    respond(ctx, res, product, params);
  });

  router.post('/v1/prices', (req, res) => {
    const params = requestParams(req);
    const { price, createdProduct } = createPrice(ctx, parsePriceSpec(ctx, params), false);
    const moment = requestMoment(ctx, req, res);
    if (createdProduct) ctx.events.emit('product.created', createdProduct, moment);
    ctx.events.emit('price.created', price, moment);
    respond(ctx, res, price, params);
  });

  router.get('/v1/prices', (req, res) => {
    const params = requestParams(req);
    const active = optionalBoolean(params, 'active');
    const product = optionalString(params, 'product');
    const lookupKeys = stringArrayParam(params, 'lookup_keys');
    const prices = [...ctx.store.prices.values()].filter(
      (price) =>
        (active === undefined || price.active === active) &&
        (product === undefined || price.product === product) &&
        (lookupKeys.length === 0 || (price.lookup_key !== null && lookupKeys.includes(price.lookup_key))),
    );
    respond(ctx, res, paginate(prices, params, '/v1/prices'), params);
  });

  router.get('/v1/prices/:id', (req, res) => {
    respond(ctx, res, getPrice(ctx, pathParam(req, 'id'), 'id'), requestParams(req));
  });

  router.get('/v1/products', (req, res) => {
    const params = requestParams(req);
    respond(ctx, res, paginate([...ctx.store.products.values()], params, '/v1/products'), params);
  });

  router.get('/v1/products/:id', (req, res) => {
    const id = pathParam(req, 'id');
    const product = ctx.store.products.get(id);
    if (!product) throw resourceMissing('product', id);
    respond(ctx, res, product, requestParams(req));
  });

  return router;
}
