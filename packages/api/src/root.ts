import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { accountsRouter } from './routers/accounts';
import { adminRouter } from './routers/admin';
import { adminAnalyticsRouter } from './routers/admin-analytics';
import { adminDealsRouter } from './routers/admin-deals';
import { adminCustomersRouter } from './routers/admin-customers';
import { apiKeysRouter } from './routers/api-keys';
import { authRouter } from './routers/auth';
import { billingRouter } from './routers/billing';
import { notificationsRouter } from './routers/notifications';
import { operatorsRouter } from './routers/operators';
import { sessionsRouter } from './routers/sessions';
import { usageRouter } from './routers/usage';
import { createCallerFactory, createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  auth: authRouter,
  accounts: accountsRouter,
  billing: billingRouter,
  usage: usageRouter,
  sessions: sessionsRouter,
  apiKeys: apiKeysRouter,
  // admin.* is one namespace composed of one file per concern.
  admin: {
    ...adminRouter,
    ...adminCustomersRouter,
    ...adminAnalyticsRouter,
    ...adminDealsRouter,
  },
  operators: operatorsRouter,
  notifications: notificationsRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export const createCaller = createCallerFactory(appRouter);
