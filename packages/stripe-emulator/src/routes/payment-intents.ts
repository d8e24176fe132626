import { Router } from 'express';
import type Stripe from 'stripe';
import { getCustomer, getPaymentIntent } from '../billing/lookups';
import {
  chargeForConfirmation,
  confirmPaymentIntent,
  resolveConfirmationMethod,
} from '../billing/payment-intent-confirmation';
import { cancelPaymentIntent, createPaymentIntent } from '../billing/payment-intents';
import type { CancellationReason } from '../billing/payment-intents';
import type { EmulatorContext } from '../context';
import { invalidRequest, missingParam } from '../errors';
import {
  applyMetadata,
  metadataParam,
  optionalBoolean,
  optionalInteger,
  optionalString,
  stringArrayParam,
} from '../form-parsing';
import type { Params } from '../form-parsing';
import { paginate } from '../list';
import { checkoutSessionOf } from '../objects/payment-intent';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';

const CANCELLATION_REASONS: readonly CancellationReason[] = [
  'abandoned',
  'duplicate',
  'fraudulent',
  'requested_by_customer',
];
/** Stripe's minimum charge in USD ($0.50); other currencies' minimums are not emulated. */
const MIN_USD_AMOUNT = 50;
const CANCELABLE = new Set([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'requires_capture',
]);

function parseAmount(params: Params, currency: string): number {
  const amount = optionalInteger(params, 'amount');
  if (amount === undefined) throw missingParam('amount');
  if (amount < 1) throw invalidRequest('Invalid positive integer', 'amount', 'parameter_invalid_integer');
  if (currency === 'usd' && amount < MIN_USD_AMOUNT) {
    throw invalidRequest('Amount must be at least $0.50 usd', 'amount', 'amount_too_small');
  }
  return amount;
}

function parseCancellationReason(params: Params): CancellationReason | null {
  const reason = optionalString(params, 'cancellation_reason');
  if (reason === undefined) return null;
  const known = CANCELLATION_REASONS.find((candidate) => candidate === reason);
  if (!known) throw invalidRequest(`Invalid cancellation_reason: ${reason}`, 'cancellation_reason');
  return known;
}

/**
 * off_session: true/false, or Stripe's 'one_off' / 'recurring' (both off-session). undefined: not
 * passed, which Stripe treats as on-session.
 */
function parseOffSession(params: Params): boolean | undefined {
  const value = optionalString(params, 'off_session');
  if (value === undefined) return undefined;
  if (value === 'one_off' || value === 'recurring') return true;
  return optionalBoolean(params, 'off_session');
}

function applyUpdates(intent: Stripe.PaymentIntent, params: Params): void {
  intent.metadata = applyMetadata(intent.metadata, metadataParam(params));
  const description = optionalString(params, 'description');
  if (description !== undefined) intent.description = description === '' ? null : description;
  const paymentMethod = optionalString(params, 'payment_method');
  if (paymentMethod === undefined) return;
  intent.payment_method = paymentMethod;
  if (intent.status === 'requires_payment_method') intent.status = 'requires_confirmation';
}

/**
 * PaymentIntents outside Checkout: create (optionally confirm=true), retrieve, list, update, confirm
 * with a card (test tokens pm_card_visa, … or a saved pm_), cancel. Checkout's own PaymentIntents
 * are made by the hosted page and can only be read here.
 */
export function paymentIntentRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.post('/v1/payment_intents', (req, res) => {
    const params = requestParams(req);
    const currency = optionalString(params, 'currency')?.toLowerCase();
    if (!currency) throw missingParam('currency');
    const amount = parseAmount(params, currency);
    const customerId = optionalString(params, 'customer');
    if (customerId) getCustomer(ctx, customerId);
    const types = stringArrayParam(params, 'payment_method_types');
    for (const [index, type] of types.entries()) {
      if (type !== 'card') {
        throw invalidRequest(
          `The Stripe emulator supports payment_method_types card only.`,
          `payment_method_types[${index}]`,
        );
      }
    }
    const moment = requestMoment(ctx, req, res);
    const paymentMethod = optionalString(params, 'payment_method');
    const isConfirm = optionalBoolean(params, 'confirm') ?? false;
    const isOffSession = parseOffSession(params);
    if (isOffSession === true && !isConfirm) {
      throw invalidRequest('off_session can only be used with confirm=true.', 'off_session');
    }
    // checked before the PaymentIntent exists: a refused create-and-confirm creates nothing
    const method = isConfirm
      ? resolveConfirmationMethod(ctx, customerId ?? null, paymentMethod ?? null, moment)
      : null;
    const intent = createPaymentIntent(
      ctx,
      {
        amount,
        currency,
        customer: customerId ?? null,
        description: optionalString(params, 'description') ?? null,
        metadata: applyMetadata({}, metadataParam(params)),
        paymentMethodTypes: ['card'],
        checkoutSessionId: null,
      },
      moment,
    );
    if (paymentMethod) intent.payment_method = paymentMethod;
    if (method) chargeForConfirmation(ctx, intent, method, isOffSession ?? false, moment);
    else if (paymentMethod) intent.status = 'requires_confirmation';
    respond(ctx, res, intent, params);
  });

  router.get('/v1/payment_intents', (req, res) => {
    const params = requestParams(req);
    const customer = optionalString(params, 'customer');
    const intents = [...ctx.store.paymentIntents.values()].filter(
      (intent) => !customer || intent.customer === customer,
    );
    respond(ctx, res, paginate(intents, params, '/v1/payment_intents'), params);
  });

  router.get('/v1/payment_intents/:id', (req, res) => {
    respond(ctx, res, getPaymentIntent(ctx, pathParam(req, 'id')), requestParams(req));
  });

  router.post('/v1/payment_intents/:id', (req, res) => {
    const params = requestParams(req);
    const intent = getPaymentIntent(ctx, pathParam(req, 'id'));
    applyUpdates(intent, params);
    respond(ctx, res, intent, params);
  });

  router.post('/v1/payment_intents/:id/confirm', (req, res) => {
    const params = requestParams(req);
    const intent = getPaymentIntent(ctx, pathParam(req, 'id'));
    confirmPaymentIntent(
      ctx,
      intent,
      optionalString(params, 'payment_method'),
      parseOffSession(params) ?? false,
      requestMoment(ctx, req, res),
    );
    respond(ctx, res, intent, params);
  });

  router.post('/v1/payment_intents/:id/cancel', (req, res) => {
    const params = requestParams(req);
    const intent = getPaymentIntent(ctx, pathParam(req, 'id'));
    const sessionId = checkoutSessionOf(intent);
    if (sessionId) {
      throw invalidRequest(
        `You cannot cancel this PaymentIntent because it belongs to Checkout Session ${sessionId}; expire the session instead.`,
        undefined,
        'payment_intent_unexpected_state',
      );
    }
    if (!CANCELABLE.has(intent.status)) {
      throw invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`,
        undefined,
        'payment_intent_unexpected_state',
      );
    }
    cancelPaymentIntent(ctx, intent, parseCancellationReason(params), requestMoment(ctx, req, res));
    respond(ctx, res, intent, params);
  });

  return router;
}
