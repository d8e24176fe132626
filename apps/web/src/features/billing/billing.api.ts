import {
  toTollgateError,
  type CheckoutPlanId,
  type RouterOutputs,
  type SubscriptionOverview,
} from '@tollgate/sdk';
import type { RunPackId } from '@tollgate/domain';
import type { Api } from '../../lib/api';

/** Dates stay ISO strings here: tRPC sends JSON without a transformer. */
export type InvoiceSummary = RouterOutputs['billing']['invoices'][number];
export type { SubscriptionOverview };

/** Where the billing portal sends the user back: the settings page, told to look for changes. */
export const PORTAL_RETURN_PATH = '/settings/subscription?portal=1';

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toTollgateError(error);
  }
}

export function createBillingApi({ client }: Api) {
  const { billing } = client.trpc;
  return {
    /** With Date objects (the SDK converts the ISO strings). */
    subscription: (): Promise<SubscriptionOverview> => client.getSubscription(),
    async activateTrial(): Promise<void> {
      await call(billing.activateTrial.mutate());
    },
    /** The hosted checkout page's URL. Success and cancel URLs are the server's defaults (APP_URL). */
    async checkoutUrl(plan: CheckoutPlanId): Promise<string> {
      const session = await call(billing.createCheckoutSession.mutate({ plan }));
      return session.url;
    },
    /** A run pack's hosted checkout (payment mode); back to /settings/subscription?pack=success|canceled. */
    async packCheckoutUrl(packId: RunPackId): Promise<string> {
      const session = await call(billing.createPackCheckout.mutate({ packId }));
      return session.url;
    },
    async portalUrl(): Promise<string> {
      const session = await call(billing.createPortalSession.mutate({ returnUrl: PORTAL_RETURN_PATH }));
      return session.url;
    },
    invoices: (): Promise<InvoiceSummary[]> => call(billing.invoices.query()),
  };
}

export type BillingApi = ReturnType<typeof createBillingApi>;
