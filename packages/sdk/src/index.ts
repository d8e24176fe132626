export {
  createTollgateClient,
  type AccountTarget,
  type AuthorizeRunInput,
  type ReleaseRunInput,
  type RunInput,
  type SettleRunInput,
  type StartRunInput,
  type StartedRun,
  type ServiceClientOptions,
  type TollgateClient,
  type TollgateClientOptions,
  type UserClientOptions,
} from './client';
export {
  ACCOUNT_ERROR_CODES,
  AccountError,
  PaymentRequiredError,
  TollgateError,
  UnauthorizedError,
  toTollgateError,
  type AccountErrorCode,
  type FieldErrors,
  type TransportErrorCode,
} from './errors';
export { getTollgateRun, requireRun, type RequireRunOptions, type TollgateRun } from './require-run';
export type { Balance, CreditGrant, RunAuthorization, SettledRun, SubscriptionOverview } from './results';

// The plan catalog, the run packs, statuses, the 402 body and the account roles that clients show: one
// source of truth for services and the web app. Only these are bundled from @tollgate/domain (not its
// Stripe parsers or reducer).
export {
  ACCOUNT_ACTIONS,
  ACCOUNT_KINDS,
  ACCOUNT_ROLES,
  CHECKOUT_PLAN_IDS,
  DENIAL_CODES,
  MAX_RUN_UNITS,
  PLANS,
  PLAN_IDS,
  RUN_PACKS,
  RUN_PACK_IDS,
  SUBSCRIPTION_STATUSES,
  TRIAL_DAYS,
  can,
  canManageMember,
  checkoutPlansFor,
  formatPrice,
  isPlanForAccountKind,
  type AccountAction,
  type AccountKind,
  type AccountRole,
  type AppErrorCode,
  type CheckoutPlanId,
  type DenialCode,
  type PackOffer,
  type PaymentRequiredBody,
  type PlanDefinition,
  type PlanId,
  type RunPackDefinition,
  type RunPackId,
  type SpendCapReached,
  type SubscriptionStatus,
} from '@tollgate/domain';

// Types only: a runtime import would pull the server (drizzle, pg, stripe…) into every bundle.
export type { AppRouter, RouterInputs, RouterOutputs } from './router-types';
