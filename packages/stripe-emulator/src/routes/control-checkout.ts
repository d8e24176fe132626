import { Router } from 'express';
import { payCheckoutByControl, resolveDelayedPaymentByControl } from '../billing/checkout-control';
import type { CheckoutPaymentOptions } from '../billing/checkout-control';
import type { DelayedPaymentOutcome } from '../billing/payment-checkout';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import { asParams, jsonBody } from '../form-parsing';
import type { Params } from '../form-parsing';
import { pathParam } from '../request-context';

function optionalField<T>(body: Params, name: string, type: 'string' | 'boolean'): T | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== type) throw invalidRequest(`${name} must be a ${type}`, name);
  return value as T;
}

function parsePaymentOptions(body: unknown): CheckoutPaymentOptions {
  const params = asParams(body);
  const options: CheckoutPaymentOptions = {};
  const card = optionalField<string>(params, 'card', 'string');
  const delayed = optionalField<boolean>(params, 'delayed', 'boolean');
  const email = optionalField<string>(params, 'email', 'string');
  if (card !== undefined) options.card = card;
  if (delayed !== undefined) options.delayed = delayed;
  if (email !== undefined) options.email = email;
  return options;
}

/**
 * /_emulator/checkout/sessions/:id/*: pay a checkout session without a browser (the same code as the
 * hosted page's buttons) and resolve a delayed (bank account) payment. A decline is a 200 answer with
 * isComplete: false and the page's error message: the control call itself worked.
 */
export function checkoutControlRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  router.use('/_emulator/checkout', jsonBody);

  router.post('/_emulator/checkout/sessions/:id/pay', (req, res) => {
    res.json(payCheckoutByControl(ctx, pathParam(req, 'id'), parsePaymentOptions(req.body)));
  });

  router.post('/_emulator/checkout/sessions/:id/delayed-payment', (req, res) => {
    const outcome = asParams(req.body).outcome;
    if (outcome !== 'succeeded' && outcome !== 'failed') {
      throw invalidRequest('outcome must be "succeeded" or "failed"', 'outcome');
    }
    const resolved: DelayedPaymentOutcome = outcome;
    res.json(resolveDelayedPaymentByControl(ctx, pathParam(req, 'id'), resolved));
  });

  return router;
}
