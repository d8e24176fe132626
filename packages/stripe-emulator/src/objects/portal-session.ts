import type Stripe from 'stripe';

export interface PortalSessionInput {
  id: string;
  created: number;
  customer: string;
  returnUrl: string | null;
  url: string;
  /** The configuration the session was created with; null: the default one. */
  configuration: string | null;
}

/**
 * Sessions created without a configuration share one default configuration, like an account that never
 * customised its portal settings: it offers every active recurring price (see switchablePrices).
 */
export const DEFAULT_PORTAL_CONFIGURATION = 'bpc_emulatordefaultconfig0';

export function buildPortalSession(input: PortalSessionInput): Stripe.BillingPortal.Session {
  return {
    id: input.id,
    object: 'billing_portal.session',
    configuration: input.configuration ?? DEFAULT_PORTAL_CONFIGURATION,
    created: input.created,
    customer: input.customer,
    customer_account: null,
    flow: null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: input.returnUrl,
    url: input.url,
  };
}
