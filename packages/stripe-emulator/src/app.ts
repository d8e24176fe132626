import express from 'express';
import type { Express } from 'express';
import { requireTestKey } from './auth';
import { processDue } from './billing/renewals';
import type { EmulatorContext } from './context';
import { errorHandler, unknownRoute } from './errors';
import type { FaultInjection } from './fault-injection';
import type { Failures } from './faults';
import { formBody, installFormParsing } from './form-parsing';
import { checkoutPageRoutes } from './hosted/checkout-routes';
import { invoicePageRoutes } from './hosted/invoice-routes';
import { portalPageRoutes } from './hosted/portal-routes';
import { receiptPageRoutes } from './hosted/receipt-routes';
import { createIdempotency } from './idempotency';
import { apiHeaders } from './request-context';
import { catalogRoutes } from './routes/catalog';
import { chargeRoutes } from './routes/charges';
import { checkoutRoutes } from './routes/checkout';
import { chargeControlRoutes } from './routes/control-charges';
import { checkoutControlRoutes } from './routes/control-checkout';
import { customerControlRoutes } from './routes/control-customers';
import { invoiceControlRoutes } from './routes/control-invoices';
import { controlRoutes } from './routes/control';
import { customerRoutes } from './routes/customers';
import { disputeRoutes } from './routes/disputes';
import { eventRoutes } from './routes/events';
import { invoiceItemRoutes } from './routes/invoice-items';
import { invoiceRoutes } from './routes/invoices';
import { meterRoutes } from './routes/meters';
import { paymentIntentRoutes } from './routes/payment-intents';
import { portalRoutes } from './routes/portal';
import { portalConfigurationRoutes } from './routes/portal-configurations';
import { refundRoutes } from './routes/refunds';
import { subscriptionCreateRoutes } from './routes/subscription-create';
import { subscriptionItemRoutes } from './routes/subscription-items';
import { subscriptionScheduleRoutes } from './routes/subscription-schedules';
import { subscriptionRoutes } from './routes/subscriptions';
import { webhookEndpointRoutes } from './routes/webhook-endpoints';
import type { WebhookDelivery } from './webhooks/delivery';

export function createApp(
  ctx: EmulatorContext,
  delivery: WebhookDelivery,
  failures: Failures,
  faults: FaultInjection,
): Express {
  const app = express();
  app.disable('x-powered-by');
  installFormParsing(app);
  // The clock runs with real time: whatever fell due since the last request happens first.
  app.use((_req, _res, next) => {
    processDue(ctx, ctx.clock.nowSeconds());
    next();
  });

  app.use(controlRoutes(ctx, delivery, failures, faults));
  app.use(checkoutControlRoutes(ctx));
  app.use(chargeControlRoutes(ctx));
  app.use(customerControlRoutes(ctx));
  app.use(invoiceControlRoutes(ctx));
  app.use(checkoutPageRoutes(ctx));
  app.use(portalPageRoutes(ctx));
  app.use(invoicePageRoutes(ctx));
  app.use(receiptPageRoutes(ctx));

  // Injected faults come before the body parser and idempotency: a dropped response is still stored
  // under its idempotency key, as on Stripe when the answer is lost after the call ran.
  app.use('/v1', apiHeaders, requireTestKey, failures.middleware, faults.middleware);
  app.use('/v1', formBody, createIdempotency());
  app.use(customerRoutes(ctx));
  app.use(catalogRoutes(ctx));
  app.use(checkoutRoutes(ctx));
  app.use(paymentIntentRoutes(ctx));
  app.use(chargeRoutes(ctx));
  app.use(refundRoutes(ctx));
  app.use(disputeRoutes(ctx));
  app.use(portalRoutes(ctx));
  app.use(portalConfigurationRoutes(ctx));
  app.use(subscriptionCreateRoutes(ctx));
  app.use(subscriptionRoutes(ctx));
  app.use(subscriptionItemRoutes(ctx));
  app.use(subscriptionScheduleRoutes(ctx));
  app.use(invoiceRoutes(ctx));
  app.use(invoiceItemRoutes(ctx));
  app.use(meterRoutes(ctx));
  app.use(eventRoutes(ctx));
  app.use(webhookEndpointRoutes(ctx));

  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}
