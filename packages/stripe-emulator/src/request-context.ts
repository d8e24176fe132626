import Stripe from 'stripe';
import type { Request, RequestHandler, Response } from 'express';
import type { EmulatorContext } from './context';
import type { Moment } from './events';
import { newId } from './ids';
import { asParams } from './form-parsing';
import type { Params } from './form-parsing';

/** Stripe's response headers: the SDK reads Request-Id into errors and lastResponse. */
export const apiHeaders: RequestHandler = (req, res, next) => {
  const requestId = newId('req');
  res.locals.requestId = requestId;
  res.setHeader('Request-Id', requestId);
  res.setHeader('Stripe-Version', req.get('Stripe-Version') ?? Stripe.API_VERSION);
  next();
};

/** The current emulator time plus the request that causes what happens now (for event.request). */
export function requestMoment(ctx: EmulatorContext, req: Request, res: Response): Moment {
  const requestId = typeof res.locals.requestId === 'string' ? res.locals.requestId : null;
  return {
    at: ctx.clock.nowSeconds(),
    request: { id: requestId, idempotency_key: req.get('Idempotency-Key') ?? null },
  };
}

/** GET/DELETE carry their parameters in the query string, POST in the form body. */
export function requestParams(req: Request): Params {
  return asParams(req.method === 'GET' || req.method === 'DELETE' ? req.query : req.body);
}

export function pathParam(req: Request, name: string): string {
  const value = req.params[name];
  return typeof value === 'string' ? value : '';
}
