import { Router } from 'express';
import type { Request, Response } from 'express';
import type Stripe from 'stripe';
import { customerIdOf, getPrice } from '../billing/lookups';
import { switchPlanInPortal } from '../billing/portal-switches';
import { updateCustomerCard } from '../billing/subscription-changes';
import { releaseSchedule, scheduledTerms } from '../billing/subscription-schedules';
import {
  cancelSubscription,
  setCancelAtPeriodEnd,
  updateSubscription,
} from '../billing/subscription-updates';
import { momentAt } from '../context';
import type { EmulatorContext } from '../context';
import { StripeApiError } from '../errors';
import { asParams, formBody, optionalString } from '../form-parsing';
import { invoiceSubscriptionId } from '../objects/invoice';
import { switchablePrices } from '../objects/portal-configuration';
import { firstItem, isLive } from '../objects/subscription';
import { pathParam } from '../request-context';
import { notFoundPage } from './checkout-routes';
import { renderPortalPage } from './portal-page';

const NOTICES: Record<string, string> = {
  cancel_at_period_end: 'Your subscription will be canceled at the end of the current period.',
  cancel_now: 'Your subscription has been canceled.',
  resume: 'Your subscription will continue.',
  switch: 'Your plan has been changed.',
  switch_scheduled: 'Your plan will change at the end of the current period.',
  switch_kept: 'Your plan will not change.',
  update_card: 'Your card has been updated.',
};

/** The subscription the portal manages: the customer's newest live one, else their newest. */
function portalSubscription(ctx: EmulatorContext, customerId: string): Stripe.Subscription | null {
  const mine = [...ctx.store.subscriptions.values()]
    .filter((sub) => customerIdOf(sub) === customerId)
    .reverse();
  return mine.find(isLive) ?? mine[0] ?? null;
}

/** The session's configuration (null: the default one, which offers every price). */
function configurationOf(
  ctx: EmulatorContext,
  session: Stripe.BillingPortal.Session,
): Stripe.BillingPortal.Configuration | null {
  const id = typeof session.configuration === 'string' ? session.configuration : session.configuration.id;
  return ctx.store.portalConfigurations.get(id) ?? null;
}

/** Prices the session may switch the subscription to: active, recurring, and allowed by its configuration. */
function isSwitchable(
  ctx: EmulatorContext,
  session: Stripe.BillingPortal.Session,
  price: Stripe.Price,
): boolean {
  const allowed = switchablePrices(configurationOf(ctx, session));
  return price.active && price.type === 'recurring' && (allowed === null || allowed.has(price.id));
}

function productNameOf(ctx: EmulatorContext, price: Stripe.Price): string {
  const productId = typeof price.product === 'string' ? price.product : price.product.id;
  return ctx.store.products.get(productId)?.name ?? price.nickname ?? price.id;
}

function renderPortal(
  ctx: EmulatorContext,
  res: Response,
  session: Stripe.BillingPortal.Session,
  status: number,
  error: string | null,
  notice: string | null,
): void {
  const customer = ctx.store.customers.get(session.customer);
  if (!customer) return notFoundPage(res, 'This customer no longer exists.');
  const subscription = portalSubscription(ctx, customer.id);
  const item = subscription ? firstItem(subscription) : null;
  const defaultPm = subscription?.default_payment_method ?? customer.invoice_settings.default_payment_method;
  const cardId = typeof defaultPm === 'string' ? defaultPm : (defaultPm?.id ?? null);
  const scheduled = subscription ? scheduledTerms(ctx, subscription) : null;
  const switchTargets = [...ctx.store.prices.values()]
    .filter(
      (price) =>
        isSwitchable(ctx, session, price) && price.id !== item?.price.id && price.id !== scheduled?.price.id,
    )
    .map((price) => ({ priceId: price.id, productName: productNameOf(ctx, price) }));
  const invoices = [...ctx.store.invoices.values()]
    .filter((invoice) => invoice.customer === customer.id && invoiceSubscriptionId(invoice) !== null)
    .reverse();
  res
    .status(status)
    .type('html')
    .send(
      renderPortalPage({
        session,
        customer,
        subscription,
        productName: item ? productNameOf(ctx, item.price) : null,
        scheduledSwitch:
          scheduled && item
            ? { productName: productNameOf(ctx, scheduled.price), at: item.current_period_end }
            : null,
        card: cardId ? (ctx.store.paymentMethods.get(cardId) ?? null) : null,
        switchTargets,
        invoices,
        actionUrl: `${ctx.config.publicUrl}/portal/${session.id}`,
        error,
        notice,
      }),
    );
}

/** An action the session's configuration doesn't allow: refused with 400, nothing changed. */
class PortalRefusal extends Error {}

/** What an action did: an error to show, or the notice (a NOTICES key) to redirect with. */
type ActionResult = { error: string; notice?: undefined } | { error: null; notice: string };

function performAction(
  ctx: EmulatorContext,
  session: Stripe.BillingPortal.Session,
  req: Request,
): ActionResult {
  const form = asParams(req.body);
  const action = optionalString(form, 'action') ?? '';
  const moment = momentAt(ctx.clock.nowSeconds());
  const done: ActionResult = { error: null, notice: action };
  if (action === 'update_card') {
    const outcome = updateCustomerCard(
      ctx,
      session.customer,
      optionalString(form, 'card_number') ?? '',
      moment,
    );
    return outcome.isApproved ? done : { error: outcome.message };
  }
  const subscription = portalSubscription(ctx, session.customer);
  if (!subscription || !isLive(subscription)) return { error: 'There is no active subscription to change.' };
  if (action === 'cancel_at_period_end') {
    // A switch scheduled for the period end gives way to the cancellation chosen now (Stripe refuses to
    // set cancel_at_period_end on a scheduled subscription; the emulator's portal releases it first).
    updateSubscription(ctx, subscription, moment, (sub) => releaseSchedule(ctx, sub, moment));
    setCancelAtPeriodEnd(ctx, subscription, true, moment);
  } else if (action === 'resume') setCancelAtPeriodEnd(ctx, subscription, false, moment);
  else if (action === 'cancel_now') cancelSubscription(ctx, subscription, moment, 'cancellation_requested');
  else if (action === 'switch') {
    const price = getPrice(ctx, optionalString(form, 'price') ?? '');
    // Like Stripe's portal, only what the session's configuration lists (a forged form included).
    if (!isSwitchable(ctx, session, price)) throw new PortalRefusal('This plan is not available here.');
    const outcome = switchPlanInPortal(ctx, subscription, price, configurationOf(ctx, session), moment);
    if (outcome !== 'changed') return { error: null, notice: `switch_${outcome}` };
  } else return { error: `Unknown action: ${action}` };
  return done;
}

/** The hosted customer portal behind billing_portal.session.url. */
export function portalPageRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/portal/:id', (req, res) => {
    const session = ctx.store.portalSessions.get(pathParam(req, 'id'));
    if (!session) return notFoundPage(res, 'No such billing portal session.');
    const notice = typeof req.query.notice === 'string' ? (NOTICES[req.query.notice] ?? null) : null;
    renderPortal(ctx, res, session, 200, null, notice);
  });

  router.post('/portal/:id', formBody, (req, res) => {
    const session = ctx.store.portalSessions.get(pathParam(req, 'id'));
    if (!session) return notFoundPage(res, 'No such billing portal session.');
    let result: ActionResult;
    let status = 402;
    try {
      result = performAction(ctx, session, req);
    } catch (thrown) {
      if (!(thrown instanceof StripeApiError) && !(thrown instanceof PortalRefusal)) throw thrown;
      result = { error: thrown.message };
      if (thrown instanceof PortalRefusal) status = 400;
    }
    if (result.error !== null) return renderPortal(ctx, res, session, status, result.error, null);
    res.redirect(
      303,
      `${ctx.config.publicUrl}/portal/${session.id}?notice=${encodeURIComponent(result.notice)}`,
    );
  });

  return router;
}
