import { Router } from 'express';
import { getPrice } from '../billing/lookups';
import type { EmulatorContext } from '../context';
import { resourceMissing } from '../errors';
import { optionalBoolean, optionalString, stringArrayParam } from '../form-parsing';
import { paginate } from '../list';
import { pathParam, requestParams } from '../request-context';
import { respond } from '../respond';

/** Read-only products and prices: the catalog is seeded from the domain's plans at start. */
export function catalogRoutes(ctx: EmulatorContext): Router {
  const router = Router();

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
