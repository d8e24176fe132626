import { Router } from 'express';
import type { Response } from 'express';
import type Stripe from 'stripe';
import { completeCheckout, expireCheckoutSession, successRedirect } from '../billing/checkout-completion';
import { momentAt } from '../context';
import type { EmulatorContext } from '../context';
import { asParams, formBody, optionalString } from '../form-parsing';
import { pathParam } from '../request-context';
import { renderCheckoutDonePage, renderCheckoutPage } from './checkout-page';
import { html, page } from './html';

export function notFoundPage(res: Response, what: string): void {
  res
    .status(404)
    .type('html')
    .send(
      page(
        'Not found',
        html`<h1>Not found</h1>
          <p>${what}</p>`,
      ),
    );
}

function renderOpenSession(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  error: string | null,
  cardNumber: string,
): string | null {
  const extras = ctx.store.checkoutExtras.get(session.id);
  const line = extras?.lineItems[0];
  const price = line ? ctx.store.prices.get(line.price) : undefined;
  if (!extras || !line || !price) return null;
  const productId = typeof price.product === 'string' ? price.product : price.product.id;
  const base = `${ctx.config.publicUrl}/checkout/${session.id}`;
  return renderCheckoutPage({
    session,
    price,
    productName: ctx.store.products.get(productId)?.name ?? price.nickname ?? price.id,
    quantity: line.quantity,
    trialPeriodDays: extras.trialPeriodDays,
    actionUrl: base,
    cancelActionUrl: `${base}/cancel`,
    error,
    cardNumber,
    isEmailNeeded: session.customer === null && session.customer_email === null,
  });
}

/** The hosted checkout page behind session.url: a plain HTML form. */
export function checkoutPageRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get('/checkout/:id', (req, res) => {
    const session = ctx.store.checkoutSessions.get(pathParam(req, 'id'));
    if (!session) return notFoundPage(res, 'No such checkout session.');
    if (session.status === 'open' && session.expires_at <= ctx.clock.nowSeconds()) {
      expireCheckoutSession(ctx, session, momentAt(ctx.clock.nowSeconds()));
    }
    if (session.status !== 'open') {
      const continueUrl = session.status === 'complete' ? successRedirect(session) : session.cancel_url;
      return void res.type('html').send(renderCheckoutDonePage(session, continueUrl));
    }
    const body = renderOpenSession(
      ctx,
      session,
      ctx.store.checkoutExtras.get(session.id)?.lastError ?? null,
      '',
    );
    if (body === null) return notFoundPage(res, 'This checkout session has no line items.');
    res.type('html').send(body);
  });

  router.post('/checkout/:id', formBody, (req, res) => {
    const session = ctx.store.checkoutSessions.get(pathParam(req, 'id'));
    if (!session) return notFoundPage(res, 'No such checkout session.');
    const form = asParams(req.body);
    const cardNumber = optionalString(form, 'card_number') ?? '';
    const email = optionalString(form, 'email');
    if (email && session.customer === null && session.customer_email === null) session.customer_email = email;
    const result = completeCheckout(ctx, session, cardNumber, momentAt(ctx.clock.nowSeconds()));
    if (result.isComplete) return res.redirect(303, result.redirectUrl);
    const body =
      session.status === 'open' ? renderOpenSession(ctx, session, result.message, cardNumber) : null;
    res
      .status(402)
      .type('html')
      .send(body ?? renderCheckoutDonePage(session, session.cancel_url));
  });

  router.post('/checkout/:id/cancel', (req, res) => {
    const session = ctx.store.checkoutSessions.get(pathParam(req, 'id'));
    if (!session) return notFoundPage(res, 'No such checkout session.');
    // like Stripe's back link: the session stays open until it expires
    res.redirect(303, session.cancel_url ?? `${ctx.config.publicUrl}/checkout/${session.id}`);
  });

  return router;
}
