import { Router } from 'express';
import { expireCheckoutSession } from '../billing/checkout-completion';
import { getCheckoutSession, getCustomer } from '../billing/lookups';
import type { EmulatorContext } from '../context';
import { invalidRequest, missingParam } from '../errors';
import { expandObject } from '../expand';
import {
  applyMetadata,
  asParams,
  metadataParam,
  optionalBoolean,
  optionalInteger,
  optionalString,
  stringArrayParam,
} from '../form-parsing';
import type { Params } from '../form-parsing';
import { newId } from '../ids';
import { paginate } from '../list';
import { buildCheckoutSession } from '../objects/checkout-session';
import type { CheckoutMode } from '../objects/checkout-session';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';
import type { CheckoutExtras } from '../store';
import { lineItemsTotal, parseLineItems, storeLineItems } from './checkout-line-items';

const MAX_TRIAL_DAYS = 730;
/** Stripe's minimum charge in USD ($0.50); other currencies have their own minimums, not emulated. */
const MIN_USD_AMOUNT = 50;

type ModeOptions = Omit<CheckoutExtras, 'lineItems' | 'lastError'> & {
  customerCreation: 'always' | 'if_required' | null;
};

function parseMode(params: Params): CheckoutMode {
  const mode = optionalString(params, 'mode');
  if (!mode) throw missingParam('mode');
  if (mode !== 'subscription' && mode !== 'payment') {
    throw invalidRequest(
      `The Stripe emulator supports mode=payment and mode=subscription (got ${mode}).`,
      'mode',
    );
  }
  return mode;
}

function parseSubscriptionOptions(params: Params): ModeOptions {
  if (params.payment_intent_data !== undefined) {
    throw invalidRequest(
      'You can not pass `payment_intent_data` in `subscription` mode.',
      'payment_intent_data',
    );
  }
  if (params.customer_creation !== undefined) {
    throw invalidRequest('`customer_creation` can only be used in `payment` mode.', 'customer_creation');
  }
  const subscriptionData = asParams(params.subscription_data);
  const trialPeriodDays = optionalInteger(subscriptionData, 'trial_period_days') ?? null;
  if (trialPeriodDays !== null && (trialPeriodDays < 1 || trialPeriodDays > MAX_TRIAL_DAYS)) {
    throw invalidRequest(
      `subscription_data[trial_period_days] must be between 1 and ${MAX_TRIAL_DAYS}.`,
      'subscription_data[trial_period_days]',
    );
  }
  return {
    subscriptionMetadata: applyMetadata({}, metadataParam(subscriptionData)),
    trialPeriodDays,
    customerCreation: null,
  };
}

function parsePaymentOptions(params: Params): ModeOptions {
  if (params.subscription_data !== undefined) {
    throw invalidRequest('You can not pass `subscription_data` in `payment` mode.', 'subscription_data');
  }
  const customerCreation = optionalString(params, 'customer_creation') ?? null;
  if (customerCreation !== null && customerCreation !== 'always' && customerCreation !== 'if_required') {
    throw invalidRequest(`Invalid customer_creation: ${customerCreation}`, 'customer_creation');
  }
  if (customerCreation !== null && params.customer !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: customer, customer_creation.',
      'customer_creation',
    );
  }
  const paymentIntentData = asParams(params.payment_intent_data);
  return {
    subscriptionMetadata: {},
    trialPeriodDays: null,
    customerCreation,
    paymentIntentData: {
      metadata: applyMetadata({}, metadataParam(paymentIntentData)),
      description: optionalString(paymentIntentData, 'description') ?? null,
    },
  };
}

/** Cards, plus (one-time USD payments) the test bank account for delayed payments. */
function parsePaymentMethodTypes(params: Params, mode: CheckoutMode, currency: string): string[] {
  const isBankPossible = mode === 'payment' && currency === 'usd';
  const requested = stringArrayParam(params, 'payment_method_types');
  if (requested.length === 0) return isBankPossible ? ['card', 'us_bank_account'] : ['card'];
  for (const [index, type] of requested.entries()) {
    if (type === 'card' || (type === 'us_bank_account' && isBankPossible)) continue;
    throw invalidRequest(
      `The Stripe emulator supports payment_method_types card and (one-time USD payments) us_bank_account, not ${type}.`,
      `payment_method_types[${index}]`,
    );
  }
  return requested;
}

export function checkoutRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.post('/v1/checkout/sessions', (req, res) => {
    const params = requestParams(req);
    const mode = parseMode(params);
    const customerId = optionalString(params, 'customer');
    const customerEmail = optionalString(params, 'customer_email');
    if (customerId && customerEmail) {
      throw invalidRequest(
        'You may only specify one of these parameters: customer, customer_email.',
        'customer',
      );
    }
    if (customerId) getCustomer(ctx, customerId);
    const clientReferenceId = optionalString(params, 'client_reference_id');
    if (clientReferenceId !== undefined && clientReferenceId.length > 200) {
      throw invalidRequest('client_reference_id must be at most 200 characters.', 'client_reference_id');
    }
    const { customerCreation, ...options } =
      mode === 'payment' ? parsePaymentOptions(params) : parseSubscriptionOptions(params);
    const lineItems = parseLineItems(ctx, params, mode);
    const total = lineItemsTotal(lineItems);
    if (mode === 'payment' && total.currency === 'usd' && total.amount < MIN_USD_AMOUNT) {
      throw invalidRequest(
        "The Checkout Session's total amount due must add up to at least $0.50 usd",
        'line_items',
        'amount_too_small',
      );
    }
    const paymentMethodTypes = parsePaymentMethodTypes(params, mode, total.currency);
    // everything is valid: only now are inline prices stored
    const extras: CheckoutExtras = { ...options, lineItems: storeLineItems(ctx, lineItems), lastError: null };
    const id = newId('cs_test');
    const session = buildCheckoutSession({
      id,
      created: ctx.clock.nowSeconds(),
      mode,
      customer: customerId ?? null,
      customerCreation,
      paymentMethodTypes,
      customerEmail: customerEmail ?? null,
      clientReferenceId: clientReferenceId ?? null,
      successUrl: optionalString(params, 'success_url') ?? `${ctx.config.publicUrl}/checkout/${id}`,
      cancelUrl: optionalString(params, 'cancel_url') ?? null,
      metadata: applyMetadata({}, metadataParam(params)),
      amountTotal: extras.trialPeriodDays ? 0 : total.amount,
      currency: total.currency,
      allowPromotionCodes: optionalBoolean(params, 'allow_promotion_codes') ?? null,
      url: `${ctx.config.publicUrl}/checkout/${id}`,
    });
    ctx.store.checkoutSessions.set(id, session);
    ctx.store.checkoutExtras.set(id, extras);
    respond(ctx, res, session, params);
  });

  router.get('/v1/checkout/sessions', (req, res) => {
    const params = requestParams(req);
    const customer = optionalString(params, 'customer');
    const subscription = optionalString(params, 'subscription');
    const paymentIntent = optionalString(params, 'payment_intent');
    const status = optionalString(params, 'status');
    const sessions = [...ctx.store.checkoutSessions.values()].filter(
      (session) =>
        (!customer || session.customer === customer) &&
        (!subscription || session.subscription === subscription) &&
        (!paymentIntent || session.payment_intent === paymentIntent) &&
        (!status || session.status === status),
    );
    respond(ctx, res, paginate(sessions, params, '/v1/checkout/sessions'), params);
  });

  router.get('/v1/checkout/sessions/:id', (req, res) => {
    respond(ctx, res, getCheckoutSession(ctx, pathParam(req, 'id')), requestParams(req));
  });

  router.get('/v1/checkout/sessions/:id/line_items', (req, res) => {
    const session = getCheckoutSession(ctx, pathParam(req, 'id'));
    const expanded = expandObject(ctx, session, ['line_items']);
    respond(ctx, res, expanded.line_items, requestParams(req));
  });

  router.post('/v1/checkout/sessions/:id/expire', (req, res) => {
    const session = getCheckoutSession(ctx, pathParam(req, 'id'));
    if (session.status !== 'open') {
      throw invalidRequest(
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
        undefined,
        'checkout_session_not_open',
      );
    }
    expireCheckoutSession(ctx, session, requestMoment(ctx, req, res));
    respond(ctx, res, session, requestParams(req));
  });

  return router;
}
