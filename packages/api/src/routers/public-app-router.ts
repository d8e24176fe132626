import type { AppErrorCode, PaymentRequiredBody } from '@tollgate/domain';
import type {
  TRPCBuiltRouter,
  TRPCDecorateCreateRouterOptions,
  TRPCDefaultErrorShape,
  inferRouterInputs,
  inferRouterOutputs,
} from '@trpc/server';
import type { accountsRouter } from './accounts';
import type { adminRouter } from './admin';
import type { adminAnalyticsRouter } from './admin-analytics';
import type { adminDealsRouter } from './admin-deals';
import type { adminCustomersRouter } from './admin-customers';
import type { apiKeysRouter } from './api-keys';
import type { authRouter } from './auth';
import type { billingRouter } from './billing';
import type { notificationsRouter } from './notifications';
import type { operatorsRouter } from './operators';
import type { sessionsRouter } from './sessions';
import type { usageRouter } from './usage';

/** What `TRPCClientError.data` holds: tRPC's fields plus Tollgate's (see the error formatter). */
export interface PublicErrorShape extends TRPCDefaultErrorShape {
  data: TRPCDefaultErrorShape['data'] & {
    stack: undefined;
    /** Tollgate's own code (`RUN_ID_REUSED`, `TRIAL_NOT_ALLOWED`, …), else null. */
    appCode: AppErrorCode | null;
    /** Per-field messages of an invalid input, else null (zod's flattened fieldErrors). */
    fieldErrors: Record<string, string[] | undefined> | null;
    /** A denied run (402): the body's `error`, else null. */
    paymentRequired: PaymentRequiredBody['error'] | null;
    /** How long to wait before asking again (the Retry-After header's value), else null. */
    retryAfterSeconds: number | null;
  };
}

/**
 * The app router as clients see it: every procedure's input and output (from its zod schemas) with
 * an opaque context. `AppRouter` carries the server's Context (database, Stripe, Express request)
 * in `_def._config.$types.ctx`, so a declaration bundle of it would drag the server's types into
 * every consumer; this one names only the routers, whose procedure types hold no context. Checked
 * against `AppRouter` in public-app-router.test.ts. @tollgate/sdk's declarations are built from this
 * module alone, never from the package index (which reaches the server's types).
 */
export type PublicAppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: PublicErrorShape; transformer: false },
  TRPCDecorateCreateRouterOptions<{
    auth: typeof authRouter;
    accounts: typeof accountsRouter;
    billing: typeof billingRouter;
    usage: typeof usageRouter;
    sessions: typeof sessionsRouter;
    apiKeys: typeof apiKeysRouter;
    admin: typeof adminRouter &
      typeof adminCustomersRouter &
      typeof adminAnalyticsRouter &
      typeof adminDealsRouter;
    operators: typeof operatorsRouter;
    notifications: typeof notificationsRouter;
  }>
>;
export type PublicRouterInputs = inferRouterInputs<PublicAppRouter>;
export type PublicRouterOutputs = inferRouterOutputs<PublicAppRouter>;
