import { Router } from 'express';
import type Stripe from 'stripe';
import { getCustomer } from '../billing/lookups';
import { cancelSubscription } from '../billing/subscription-updates';
import type { EmulatorContext } from '../context';
import { previousAttributes } from '../diff';
import { invalidRequest } from '../errors';
import {
  applyMetadata,
  asParams,
  metadataParam,
  optionalInteger,
  optionalString,
  requireString,
} from '../form-parsing';
import type { Params } from '../form-parsing';
import { newId } from '../ids';
import { paginate } from '../list';
import { buildCustomer } from '../objects/customer';
import { isLive } from '../objects/subscription';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';
import { matchesSearch, parseSearchQuery } from '../search-query';
import { wireCopy } from '../store';

function searchableValue(customer: Stripe.Customer, field: string): string | null | undefined {
  if (field.startsWith('metadata.')) return customer.metadata[field.slice('metadata.'.length)];
  if (field === 'email') return customer.email;
  if (field === 'name') return customer.name;
  if (field === 'phone') return customer.phone;
  throw invalidRequest(`Field '${field}' is not supported in customer search queries.`, 'query');
}

function nullableString(params: Params, name: string, current: string | null): string | null {
  const value = optionalString(params, name);
  if (value === undefined) return current;
  return value === '' ? null : value;
}

export function customerRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.post('/v1/customers', (req, res) => {
    const params = requestParams(req);
    const metadata = applyMetadata({}, metadataParam(params));
    const customer = buildCustomer({
      id: newId('cus'),
      created: ctx.clock.nowSeconds(),
      email: nullableString(params, 'email', null),
      name: nullableString(params, 'name', null),
      description: nullableString(params, 'description', null),
      phone: nullableString(params, 'phone', null),
      metadata,
    });
    ctx.store.customers.set(customer.id, customer);
    ctx.events.emit('customer.created', customer, requestMoment(ctx, req, res));
    respond(ctx, res, customer, params);
  });

  router.get('/v1/customers/search', (req, res) => {
    const params = requestParams(req);
    const query = parseSearchQuery(requireString(params, 'query'));
    const limit = optionalInteger(params, 'limit') ?? 10;
    const found = [...ctx.store.customers.values()]
      .reverse()
      .filter((customer) => matchesSearch(query, (field) => searchableValue(customer, field)));
    const result = {
      object: 'search_result',
      data: found.slice(0, limit),
      has_more: found.length > limit,
      next_page: null,
      url: '/v1/customers/search',
    };
    respond(ctx, res, result, params);
  });

  router.get('/v1/customers', (req, res) => {
    const params = requestParams(req);
    const email = optionalString(params, 'email');
    const customers = [...ctx.store.customers.values()].filter(
      (customer) => !email || customer.email === email,
    );
    respond(ctx, res, paginate(customers, params, '/v1/customers'), params);
  });

  router.get('/v1/customers/:id', (req, res) => {
    const deleted = ctx.store.deletedCustomers.get(pathParam(req, 'id'));
    if (deleted) {
      res.json(deleted);
      return;
    }
    respond(ctx, res, getCustomer(ctx, pathParam(req, 'id'), 'id'), requestParams(req));
  });

  router.post('/v1/customers/:id', (req, res) => {
    const params = requestParams(req);
    const customer = getCustomer(ctx, pathParam(req, 'id'), 'id');
    const before = wireCopy(customer);
    customer.email = nullableString(params, 'email', customer.email);
    customer.name = nullableString(params, 'name', customer.name ?? null);
    customer.description = nullableString(params, 'description', customer.description);
    customer.phone = nullableString(params, 'phone', customer.phone ?? null);
    customer.metadata = applyMetadata(customer.metadata, metadataParam(params));
    const defaultPaymentMethod = optionalString(asParams(params.invoice_settings), 'default_payment_method');
    if (defaultPaymentMethod !== undefined) {
      const record = ctx.store.paymentMethods.get(defaultPaymentMethod);
      if (!record || record.customer !== customer.id) {
        throw invalidRequest(
          `No such PaymentMethod: '${defaultPaymentMethod}' attached to this customer`,
          'invoice_settings[default_payment_method]',
        );
      }
      customer.invoice_settings.default_payment_method = defaultPaymentMethod;
    }
    const previous = previousAttributes(before, customer);
    if (previous) ctx.events.emit('customer.updated', customer, requestMoment(ctx, req, res), previous);
    respond(ctx, res, customer, params);
  });

  router.delete('/v1/customers/:id', (req, res) => {
    const customer = getCustomer(ctx, pathParam(req, 'id'), 'id');
    const moment = requestMoment(ctx, req, res);
    // Stripe cancels a deleted customer's subscriptions right away
    for (const subscription of ctx.store.subscriptions.values()) {
      if (subscription.customer === customer.id && isLive(subscription)) {
        cancelSubscription(ctx, subscription, moment, 'cancellation_requested');
      }
    }
    ctx.store.customers.delete(customer.id);
    const deleted: Stripe.DeletedCustomer = { id: customer.id, object: 'customer', deleted: true };
    ctx.store.deletedCustomers.set(customer.id, deleted);
    ctx.events.emit('customer.deleted', customer, moment);
    res.json(deleted);
  });

  return router;
}
