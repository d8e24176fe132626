import type { PublicAppRouter, PublicRouterInputs, PublicRouterOutputs } from '@tollgate/api';

/**
 * Tollgate's router as a client sees it (procedures, inputs, outputs, error data) with an opaque
 * context: the published declarations carry no server types (drizzle, pg, stripe, Express).
 */
export type AppRouter = PublicAppRouter;
export type RouterInputs = PublicRouterInputs;
export type RouterOutputs = PublicRouterOutputs;
