export {
  createTollgateClient,
  type AuthorizeRunInput,
  type ReleaseRunInput,
  type RunInput,
  type StartRunInput,
  type StartedRun,
  type ServiceClientOptions,
  type TollgateClient,
  type TollgateClientOptions,
  type UserClientOptions,
} from './client';
export {
  PaymentRequiredError,
  TollgateError,
  UnauthorizedError,
  toTollgateError,
  type FieldErrors,
  type TransportErrorCode,
} from './errors';
export { getTollgateRun, requireRun, type RequireRunOptions, type TollgateRun } from './require-run';
export type { RunAuthorization, SubscriptionOverview } from './results';

// The plan catalog, statuses, the 402 body and their types: one source of truth for services and the web app.
export * from '@tollgate/domain';

// Types only: a runtime import would pull the server (drizzle, pg, stripe…) into every bundle.
export type { AppRouter, RouterInputs, RouterOutputs } from '@tollgate/api';
