import { Router } from 'express';
import type { EmulatorContext } from '../context';
import { resourceMissing } from '../errors';
import { optionalBoolean, optionalString } from '../form-parsing';
import { paginate } from '../list';
import { isPending } from '../objects/invoice-item';
import { pathParam, requestParams } from '../request-context';
import { respond } from '../respond';

/** Read-only invoice items (the emulator creates them only as prorations of quantity changes). */
export function invoiceItemRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/v1/invoiceitems', (req, res) => {
    const params = requestParams(req);
    const customer = optionalString(params, 'customer');
    const invoice = optionalString(params, 'invoice');
    const pending = optionalBoolean(params, 'pending');
    const items = [...ctx.store.invoiceItems.values()].filter(
      (item) =>
        (!customer || item.customer === customer) &&
        (!invoice || item.invoice === invoice) &&
        (pending === undefined || isPending(item) === pending),
    );
    respond(ctx, res, paginate(items, params, '/v1/invoiceitems'), params);
  });

  router.get('/v1/invoiceitems/:id', (req, res) => {
    const params = requestParams(req);
    const id = pathParam(req, 'id');
    const item = ctx.store.invoiceItems.get(id);
    if (!item) throw resourceMissing('invoiceitem', id, 'id');
    respond(ctx, res, item, params);
  });

  return router;
}
