import { Router } from 'express';
import type Stripe from 'stripe';
import { expireCheckoutSession } from '../billing/checkout-completion';
import { getCustomer, getPrice } from '../billing/lookups';
import type { EmulatorContext } from '../context';
import { invalidRequest, missingParam, resourceMissing } from '../errors';
import { expandObject } from '../expand';
import {
  applyMetadata,
  arrayParam,
  asParams,
  metadataParam,
  optionalBoolean,
  optionalInteger,
  optionalString,
} from '../form-parsing';
import type { Params } from '../form-parsing';
import { newId } from '../ids';
import { paginate } from '../list';
import { buildCheckoutSession } from '../objects/checkout-session';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';
import type { CheckoutExtras, CheckoutLineItem } from '../store';

const MAX_TRIAL_DAYS = 730;

function parseLineItems(ctx: EmulatorContext, params: Params): CheckoutLineItem[] {
  const raw = arrayParam(params, 'line_items');
  if (raw.length === 0) throw missingParam('line_items');
  if (raw.length > 1) {
    throw invalidRequest('The Stripe emulator supports one line item per checkout session.', 'line_items');
  }
  return raw.map((entry, index) => {
    const item = asParams(entry);
    const priceId = optionalString(item, 'price');
    if (!priceId) throw missingParam(`line_items[${index}][price]`);
    const price = getPrice(ctx, priceId, `line_items[${index}][price]`);
    if (price.type !== 'recurring') {
      throw invalidRequest(
        'You must provide at least one recurring price in `subscription` mode when using prices.',
        `line_items[${index}][price]`,
      );
    }
    const quantity = optionalInteger(item, 'quantity') ?? 1;
    if (quantity < 1) throw invalidRequest('Quantity must be at least 1.', `line_items[${index}][quantity]`);
    return { price: priceId, quantity };
  });
}

function parseExtras(ctx: EmulatorContext, params: Params): CheckoutExtras {
  const subscriptionData = asParams(params.subscription_data);
  const trialPeriodDays = optionalInteger(subscriptionData, 'trial_period_days') ?? null;
  if (trialPeriodDays !== null && (trialPeriodDays < 1 || trialPeriodDays > MAX_TRIAL_DAYS)) {
    throw invalidRequest(
      `subscription_data[trial_period_days] must be between 1 and ${MAX_TRIAL_DAYS}.`,
      'subscription_data[trial_period_days]',
    );
  }
  return {
    lineItems: parseLineItems(ctx, params),
    subscriptionMetadata: applyMetadata({}, metadataParam(subscriptionData)),
    trialPeriodDays,
    lastError: null,
  };
}

function getSession(ctx: EmulatorContext, id: string): Stripe.Checkout.Session {
  const session = ctx.store.checkoutSessions.get(id);
  if (!session) throw resourceMissing('checkout.session', id);
  return session;
}

export function checkoutRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.post('/v1/checkout/sessions', (req, res) => {
    const params = requestParams(req);
    const mode = optionalString(params, 'mode');
    if (!mode) throw missingParam('mode');
    if (mode !== 'subscription') {
      throw invalidRequest(`The Stripe emulator supports only mode=subscription (got ${mode}).`, 'mode');
    }
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
    const extras = parseExtras(ctx, params);
    const firstLine = extras.lineItems[0];
    const price = firstLine ? getPrice(ctx, firstLine.price) : null;
    const id = newId('cs_test');
    const session = buildCheckoutSession({
      id,
      created: ctx.clock.nowSeconds(),
      customer: customerId ?? null,
      customerEmail: customerEmail ?? null,
      clientReferenceId: clientReferenceId ?? null,
      successUrl: optionalString(params, 'success_url') ?? `${ctx.config.publicUrl}/checkout/${id}`,
      cancelUrl: optionalString(params, 'cancel_url') ?? null,
      metadata: applyMetadata({}, metadataParam(params)),
      amountTotal: extras.trialPeriodDays ? 0 : (price?.unit_amount ?? 0) * (firstLine?.quantity ?? 1),
      currency: price?.currency ?? 'usd',
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
    const status = optionalString(params, 'status');
    const sessions = [...ctx.store.checkoutSessions.values()].filter(
      (session) =>
        (!customer || session.customer === customer) &&
        (!subscription || session.subscription === subscription) &&
        (!status || session.status === status),
    );
    respond(ctx, res, paginate(sessions, params, '/v1/checkout/sessions'), params);
  });

  router.get('/v1/checkout/sessions/:id', (req, res) => {
    respond(ctx, res, getSession(ctx, pathParam(req, 'id')), requestParams(req));
  });

  router.get('/v1/checkout/sessions/:id/line_items', (req, res) => {
    const session = getSession(ctx, pathParam(req, 'id'));
    const expanded = expandObject(ctx, session, ['line_items']);
    respond(ctx, res, expanded.line_items, requestParams(req));
  });

  router.post('/v1/checkout/sessions/:id/expire', (req, res) => {
    const session = getSession(ctx, pathParam(req, 'id'));
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
