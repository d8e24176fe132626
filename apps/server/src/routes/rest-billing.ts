import { invoicesSchema, plansSchema, spendOverviewSchema, subscriptionOverviewSchema } from '@tollgate/api';
import { checkoutSessionBodySchema, portalSessionBodySchema } from '../openapi/rest-body-schemas';
import { defineOperation, type RestOperation } from './rest-operation';

const OVERVIEW = { name: 'SubscriptionOverview', schema: subscriptionOverviewSchema };
const SPEND = { name: 'SpendSettings', schema: spendOverviewSchema };

/** The seed's billing endpoints, served by the tRPC `billing.*` procedures. */
export const billingOperations: readonly RestOperation[] = [
  defineOperation({
    method: 'get',
    path: '/billing/plans',
    procedure: 'billing.plans',
    operationId: 'listPlans',
    tag: 'billing',
    summary: 'The plan catalog',
    credentials: [],
    successStatus: 200,
    response: { name: 'Plans', schema: plansSchema },
    errors: [],
  }),
  defineOperation({
    method: 'get',
    path: '/billing/subscription',
    procedure: 'billing.subscription',
    operationId: 'getSubscription',
    tag: 'billing',
    summary: 'Current plan, status, usage (X / Y runs) and billing period',
    description:
      'Creates the FREE subscription on first use. A user reads their own; a service key with the ' +
      '`subscriptions:read` scope names the user with `?userId=`.',
    credentials: ['user', 'service'],
    successStatus: 200,
    response: OVERVIEW,
    errors: [401, 403, 404],
  }),
  defineOperation({
    method: 'post',
    path: '/billing/create-checkout-session',
    procedure: 'billing.createCheckoutSession',
    operationId: 'createCheckoutSession',
    tag: 'billing',
    summary: 'Start Stripe Checkout for BASIC or PRO',
    description:
      'Answers the Checkout URL to redirect the browser to. Redirect URLs must be on the app’s own ' +
      'origin (default: the subscription settings page). A live paid subscription answers 409: change ' +
      'plans in the portal instead. The caller’s email must be verified: 403 EMAIL_NOT_VERIFIED. ' +
      'Stripe unreachable or failing: 503 SERVICE_UNAVAILABLE with Retry-After (send the same request again).',
    credentials: ['user'],
    successStatus: 201,
    response: { name: 'CheckoutSession', schema: checkoutSessionBodySchema },
    errors: [401, 403, 409, 503],
    bodyAliases: { success_url: 'successUrl', cancel_url: 'cancelUrl' },
    toBody: (session) => ({ ...session, checkout_url: session.url }),
    example: { plan: 'PRO' },
  }),
  defineOperation({
    method: 'get',
    path: '/billing/spend-settings',
    procedure: 'billing.spendSettings',
    operationId: 'getSpendSettings',
    tag: 'billing',
    summary: 'Overage, spend caps, this period’s overage spend and forecast, auto top-up',
    description:
      'Overage bills runs past the plan’s allowance and the credits per run (unitAmountDecimal cents, ' +
      'tax excluded), up to the stricter of the account’s cap and an operator’s (effectiveCap, in runs).',
    credentials: ['user'],
    successStatus: 200,
    response: SPEND,
    errors: [401, 403],
  }),
  defineOperation({
    method: 'post',
    path: '/billing/spend-settings',
    procedure: 'billing.updateSpendSettings',
    operationId: 'updateSpendSettings',
    tag: 'billing',
    summary: 'Turn overage on or off, set the monthly cap, set auto top-up',
    description:
      'Owners and admins. Fields left out stay as they are; null clears a cap or auto top-up. A cap ' +
      'in money allows ⌊cents ÷ price per run⌋ overage runs and takes effect on the next authorization. ' +
      'Overage needs a Basic, Pro or Team subscription (else 409); the metered price is added to it.',
    credentials: ['user'],
    successStatus: 200,
    response: SPEND,
    errors: [401, 403, 409],
    example: { cap: { kind: 'money', cents: 2500 } },
  }),
  defineOperation({
    method: 'post',
    path: '/billing/create-pack-checkout',
    procedure: 'billing.createPackCheckout',
    operationId: 'createPackCheckout',
    tag: 'billing',
    summary: 'Start Stripe Checkout for a run pack (one-time payment)',
    description:
      'Answers the Checkout URL to redirect the browser to. The pack is credited once Stripe confirms ' +
      'the payment and expires 12 calendar months after purchase (UTC); a refund takes back units in ' +
      'proportion to the money returned (spent runs stay spent). Owners and admins; the caller’s email ' +
      'must be verified: 403 EMAIL_NOT_VERIFIED. Stripe unreachable or failing: 503 SERVICE_UNAVAILABLE ' +
      'with Retry-After (send the same request again).',
    credentials: ['user'],
    successStatus: 201,
    response: { name: 'CheckoutSession', schema: checkoutSessionBodySchema },
    errors: [401, 403, 503],
    bodyAliases: { success_url: 'successUrl', cancel_url: 'cancelUrl' },
    toBody: (session) => ({ ...session, checkout_url: session.url }),
    example: { packId: 'PACK_100' },
  }),
  defineOperation({
    method: 'post',
    path: '/billing/create-portal-session',
    procedure: 'billing.createPortalSession',
    operationId: 'createPortalSession',
    tag: 'billing',
    summary: 'Open the Stripe Customer Portal',
    description:
      'Change plan or card, cancel or resume, see invoices. Needs a billing account: 400 ' +
      'NO_STRIPE_CUSTOMER before the first checkout. Stripe unreachable or failing: 503 ' +
      'SERVICE_UNAVAILABLE with Retry-After (send the same request again).',
    credentials: ['user'],
    successStatus: 201,
    response: { name: 'PortalSession', schema: portalSessionBodySchema },
    errors: [401, 503],
    bodyAliases: { return_url: 'returnUrl' },
    toBody: (session) => ({ ...session, portal_url: session.url }),
  }),
  defineOperation({
    method: 'post',
    path: '/billing/activate-trial',
    procedure: 'billing.activateTrial',
    operationId: 'activateTrial',
    tag: 'billing',
    summary: 'Start the 14-day trial (50 runs), once per account',
    description:
      'Only from the FREE plan; a second attempt answers 409 TRIAL_NOT_ALLOWED. The caller’s email ' +
      'must be verified: 403 EMAIL_NOT_VERIFIED.',
    credentials: ['user'],
    successStatus: 200,
    response: OVERVIEW,
    errors: [401, 403, 409],
  }),
  defineOperation({
    method: 'get',
    path: '/billing/invoices',
    procedure: 'billing.invoices',
    operationId: 'listInvoices',
    tag: 'billing',
    summary: 'The last 24 invoices (empty before the first checkout)',
    description: 'Stripe unreachable or failing: 503 SERVICE_UNAVAILABLE with Retry-After.',
    credentials: ['user'],
    successStatus: 200,
    response: { name: 'Invoices', schema: invoicesSchema },
    errors: [401, 503],
  }),
];
