import { Router } from 'express';
import type { Response } from 'express';
import type Stripe from 'stripe';
import { expireCheckoutSession, successRedirect } from '../billing/checkout-completion';
import { payCheckoutSession } from '../billing/payment-checkout';
import type { CheckoutPayment } from '../billing/payment-checkout';
import { momentAt } from '../context';
import type { EmulatorContext } from '../context';
import { asParams, formBody, optionalString } from '../form-parsing';
import { pathParam } from '../request-context';
import type { CheckoutExtras } from '../store';
import { renderCheckoutDonePage, renderCheckoutPage } from './checkout-page';
import { html, page } from './html';
import { renderPaymentPage } from './payment-page';

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

function productNameOf(ctx: EmulatorContext, price: Stripe.Price): string {
  const productId = typeof price.product === 'string' ? price.product : price.product.id;
  return ctx.store.products.get(productId)?.name ?? price.nickname ?? price.id;
}

function renderOpenPaymentSession(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  extras: CheckoutExtras,
  error: string | null,
  cardNumber: string,
): string | null {
  const lines = extras.lineItems.flatMap((line) => {
    const price = ctx.store.prices.get(line.price);
    if (!price) return [];
    return [
      {
        name: productNameOf(ctx, price),
        quantity: line.quantity,
        amount: (price.unit_amount ?? 0) * line.quantity,
      },
    ];
  });
  if (lines.length === 0) return null;
  const base = `${ctx.config.publicUrl}/checkout/${session.id}`;
  return renderPaymentPage({
    session,
    lines,
    actionUrl: base,
    cancelActionUrl: `${base}/cancel`,
    error,
    cardNumber,
    isEmailNeeded: session.customer === null && session.customer_email === null,
  });
}

function renderOpenSession(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  error: string | null,
  cardNumber: string,
): string | null {
  const extras = ctx.store.checkoutExtras.get(session.id);
  if (extras && session.mode === 'payment') {
    return renderOpenPaymentSession(ctx, session, extras, error, cardNumber);
  }
  const line = extras?.lineItems[0];
  const price = line ? ctx.store.prices.get(line.price) : undefined;
  if (!extras || !line || !price) return null;
  const base = `${ctx.config.publicUrl}/checkout/${session.id}`;
  return renderCheckoutPage({
    session,
    price,
    productName: productNameOf(ctx, price),
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
    // the clicked button names the method (payment mode offers the test bank account too)
    const payment: CheckoutPayment =
      optionalString(form, 'payment_method_type') === 'us_bank_account'
        ? { method: 'us_bank_account' }
        : { method: 'card', cardNumber };
    const result = payCheckoutSession(ctx, session, payment, momentAt(ctx.clock.nowSeconds()));
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
