import { Router } from 'express';
import type Stripe from 'stripe';
import { getSubscription } from '../billing/lookups';
import { releaseSchedule } from '../billing/subscription-schedules';
import { updateSubscription } from '../billing/subscription-updates';
import type { EmulatorContext } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import { optionalString } from '../form-parsing';
import { paginate } from '../list';
import { pathParam, requestMoment, requestParams } from '../request-context';
import { respond } from '../respond';

function getSchedule(ctx: EmulatorContext, id: string): Stripe.SubscriptionSchedule {
  const schedule = ctx.store.subscriptionSchedules.get(id);
  if (!schedule) throw resourceMissing('subscription_schedule', id);
  return schedule;
}

/**
 * Subscription schedules, as far as the portal makes them (a switch scheduled at the period end):
 * retrieve, list (`customer`) and release (the subscription keeps what it has and no longer switches).
 * Creating or editing schedules through the API is not modelled.
 */
export function subscriptionScheduleRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/v1/subscription_schedules', (req, res) => {
    const params = requestParams(req);
    const customer = optionalString(params, 'customer');
    const schedules = [...ctx.store.subscriptionSchedules.values()].filter(
      (schedule) => !customer || schedule.customer === customer,
    );
    respond(ctx, res, paginate(schedules, params, '/v1/subscription_schedules'), params);
  });

  router.get('/v1/subscription_schedules/:id', (req, res) => {
    respond(ctx, res, getSchedule(ctx, pathParam(req, 'id')), requestParams(req));
  });

  router.post('/v1/subscription_schedules/:id/release', (req, res) => {
    const params = requestParams(req);
    const schedule = getSchedule(ctx, pathParam(req, 'id'));
    const subscriptionId = typeof schedule.subscription === 'string' ? schedule.subscription : null;
    if (schedule.status !== 'active' || subscriptionId === null) {
      throw invalidRequest(
        `You cannot release a subscription schedule that is currently in the \`${schedule.status}\` status.`,
      );
    }
    const subscription = getSubscription(ctx, subscriptionId);
    const moment = requestMoment(ctx, req, res);
    updateSubscription(ctx, subscription, moment, (sub) => releaseSchedule(ctx, sub, moment));
    respond(ctx, res, schedule, params);
  });

  return router;
}
