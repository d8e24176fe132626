import { findPlatformRole, isTransactionConflict } from '@tollgate/db';
import { paymentRequiredBodySchema, type AccountAction, type PaymentRequiredBody } from '@tollgate/domain';
import { TRPCError, initTRPC } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import type { Actor } from './actor';
import type { ApiKeyScope } from './auth/api-key-format';
import { unauthorizedMessage } from './auth/credential-problem';
import type { Context } from './context';
import { wireErrorOfTRPC } from './error-answer';
import {
  findAppError,
  isServiceUnavailable,
  isStripeUnavailable,
  retryAfterSecondsOf,
  serviceUnavailableError,
  stripeUnavailableError,
  toTRPCError,
} from './errors';
import type { ResolvedTenant } from './services/tenant-resolver';
import { accountIdSchema, userIdSchema } from './text-schemas';

export type { Context } from './context';

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    // The same code, status and message as the REST body (error-answer.ts); a context that could not
    // be built because the database is away is its 503 here too (Retry-After: app.ts responseMeta).
    const wire = wireErrorOfTRPC(error);
    const appError = findAppError(error);
    const paymentRequired = paymentRequiredBodySchema.safeParse(appError?.details?.body);
    return {
      ...shape,
      code: TRPC_ERROR_CODES_BY_KEY[wire.trpcCode],
      message: wire.message,
      data: {
        ...shape.data,
        code: wire.trpcCode,
        httpStatus: wire.status,
        stack: undefined,
        appCode: appError?.code ?? null,
        fieldErrors: wire.fieldErrors,
        paymentRequired: paymentRequired.success
          ? (paymentRequired.data.error as PaymentRequiredBody['error'])
          : null,
        // The Retry-After header's value, for clients that see only the body (the SDK's errors).
        retryAfterSeconds: retryAfterSecondsOf(error),
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Domain errors (AppError) thrown anywhere below become their mapped tRPC code here, in one place; a
 * database that can't be reached (lost connection, restart, no pool connection in time) or Stripe
 * failing for a moment (errors.ts: stripeOutageOf) becomes SERVICE_UNAVAILABLE (503 + Retry-After), so
 * clients retry instead of reporting a bug. What is still an internal error after that is logged. One
 * middleware, not two: each level of tRPC's chain copies the call's options and context (a measurable
 * share of a hot call).
 */
const settleErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (result.ok || result.error.code !== 'INTERNAL_SERVER_ERROR') return result;
  const appError = findAppError(result.error);
  // Stripe unreachable or failing for a moment is not a bug of ours: a warning, and a 503 to retry.
  if (isStripeUnavailable(result.error)) {
    ctx.deps.logger.warn('stripe unavailable; answered 503', {
      path,
      requestId: ctx.requestId,
      error: String(result.error.cause ?? result.error),
    });
    throw stripeUnavailableError(result.error);
  }
  if (isServiceUnavailable(result.error) && !appError) {
    // Retryable, but a deadlock means two code paths lock in different orders: worth a look.
    if (isTransactionConflict(result.error)) {
      ctx.deps.logger.warn('transaction rolled back by the database; answered 503', {
        path,
        requestId: ctx.requestId,
        error: String(result.error.cause ?? result.error),
      });
    }
    throw serviceUnavailableError(result.error);
  }
  const error = appError ? toTRPCError(appError) : result.error;
  if (error.code === 'INTERNAL_SERVER_ERROR') {
    ctx.deps.logger.error('procedure failed', {
      path,
      requestId: ctx.requestId,
      error: String(error.cause ?? error),
    });
  }
  if (appError) throw error;
  return result;
});

export const publicProcedure = t.procedure.use(settleErrors);

type UserActor = Extract<Actor, { kind: 'user' }>;
type ServiceActor = Extract<Actor, { kind: 'service' }>;

/** The 401 for a call without the credential it needs, saying what was wrong with the one sent. */
function unauthorized(ctx: Context, expected: 'user' | 'service' | 'user_or_service'): TRPCError {
  const problem = ctx.credentialProblem ?? 'missing';
  return new TRPCError({ code: 'UNAUTHORIZED', message: unauthorizedMessage(problem, expected) });
}

/**
 * A signed-in user (Tollgate's own JWT or the host platform's). Every tier decides the credential in
 * middleware that runs before any `.input()`: a call without one is a 401 whatever its input.
 */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.actor?.kind !== 'user') throw unauthorized(ctx, 'user');
  return next({ ctx: { user: ctx.actor } });
});

/**
 * A signed-in platform operator. The role is read from the database on every call (one primary-key
 * lookup), so granting or revoking it takes effect on the next request; nothing in the token decides.
 */
export const operatorProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  const role = await findPlatformRole(ctx.deps.db, ctx.user.userId);
  if (role !== 'operator') throw new TRPCError({ code: 'FORBIDDEN', message: 'Platform operators only' });
  return next({ ctx: { platformRole: role } });
});

/**
 * A procedure for platform staff: operators, and support where the procedure says so (support reads
 * everything, extends trials and grants a bounded number of runs). The role is read from the database
 * on every call (a revocation applies at once); account roles grant nothing here.
 */
export const staffProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  const role = await findPlatformRole(ctx.deps.db, ctx.user.userId);
  if (role !== 'operator' && role !== 'support') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Platform staff only' });
  }
  return next({ ctx: { platformRole: role } });
});

/**
 * The account a user's call names, from the `X-Tollgate-Account` header (the web app's account
 * switcher) or the input's `accountId`; both given and different is a 400. null: none named.
 */
function requestedAccount(ctx: Context, inputAccountId: string | undefined): string | null {
  const header = ctx.requestedAccountId;
  if (header !== null && !accountIdSchema.safeParse(header).success) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: 'X-Tollgate-Account must be an account id (a UUID)',
    });
  }
  if (header !== null && inputAccountId !== undefined && header !== inputAccountId) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: 'accountId and X-Tollgate-Account name different accounts',
    });
  }
  return inputAccountId ?? header;
}

/**
 * A signed-in user acting on one of its accounts (the header's, else its personal account) with a
 * role that may do `action`; membership is read from the database on every call (ResolvedTenant).
 */
export function accountProcedure(action: AccountAction) {
  return protectedProcedure.use(async ({ ctx, next }) => {
    const account = await ctx.services.tenants.forUser(ctx.user, requestedAccount(ctx, undefined), action);
    return next({ ctx: { account, tenant: account.tenant } });
  });
}

/**
 * A signed-in user acting on the account its input names (`accountId`, e.g. the REST path's), as a
 * member whose role may do `action`: for the accounts.* procedures, which always name their account.
 */
export function accountMemberProcedure(action: AccountAction) {
  return protectedProcedure
    .input(z.object({ accountId: accountIdSchema }))
    .use(async ({ ctx, input, next }) => {
      const account = await ctx.services.tenants.forUser(ctx.user, input.accountId, action);
      return next({ ctx: { account, tenant: account.tenant } });
    });
}

const tenantInputSchema = z
  .object({ userId: userIdSchema.optional(), accountId: accountIdSchema.optional() })
  .default({});

/**
 * The tenant input of a call on an existing run: its `runId` too (the router's input checks its form),
 * so a service may still name the run's member after they left (TenantResolver.forService).
 */
const runTenantInputSchema = z.object({
  userId: userIdSchema.optional(),
  accountId: accountIdSchema.optional(),
  runId: z.string(),
});

/** A user token, else a service key with `scope` (401/403 whatever the input). */
function actingActorOf(ctx: Context, scope: ApiKeyScope): Actor {
  return ctx.actor?.kind === 'user' ? ctx.actor : requireService(ctx, scope, 'user_or_service');
}

/** Who a user or service acts for on which account; `runId` only for calls on an existing run. */
async function resolveActing(
  ctx: Context,
  actor: Actor,
  action: AccountAction,
  input: { userId?: string | undefined; accountId?: string | undefined; runId?: string },
): Promise<ResolvedTenant> {
  const accountId = requestedAccount(ctx, input.accountId) ?? undefined;
  if (actor.kind === 'user') {
    if (input.userId !== undefined && input.userId !== actor.userId) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'A user can only act for themself' });
    }
    // A user's own token acts only while they are a member, on a run of theirs or not.
    return ctx.services.tenants.forUser(actor, accountId ?? null, action);
  }
  return ctx.services.tenants.forService(actor, {
    accountId,
    userId: input.userId,
    runId: input.runId,
  });
}

/**
 * Acts for a member of an account: a user for themself on one of its accounts (a `userId` naming
 * someone else is FORBIDDEN); a service key with `scope` for the member (`userId`) and account it names
 * (`userId` alone: that user's personal account, as before accounts existed). A user id the service
 * names must be a known user unless a host platform vouches for users (404 UNKNOWN_USER).
 */
export function actingForAccountProcedure(scope: ApiKeyScope, action: AccountAction) {
  return (
    publicProcedure
      // The credential first (401/403 whatever the input), then the input, then who acts for whom.
      .use(({ ctx, next }) => next({ ctx: { actingActor: actingActorOf(ctx, scope) } }))
      .input(tenantInputSchema)
      .use(async ({ ctx, input, next }) => {
        const account = await resolveActing(ctx, ctx.actingActor, action, input);
        return next({ ctx: { account, tenant: account.tenant } });
      })
  );
}

/** A service key with `scope`; a user token is refused (403) whatever it sends. */
function serviceOnly(ctx: Context, scope: ApiKeyScope): ServiceActor {
  if (ctx.actor?.kind === 'user') {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `Only a service API key with the ${scope} scope may do this`,
    });
  }
  return requireService(ctx, scope);
}

/**
 * A service's act on a run that already exists (usage.release, usage.settle), for the member and
 * account it names. End-user tokens are refused (403): e.g. releasing a run gives units back, which
 * only the service that reserved it may decide. The member named may have left the account since the
 * run was reserved (only the run's own member; only the key that reserved the run moves it).
 */
export function serviceForRunProcedure(scope: ApiKeyScope) {
  return (
    publicProcedure
      // The credential first: a user token is refused whatever it sends.
      .use(({ ctx, next }) => next({ ctx: { service: serviceOnly(ctx, scope) } }))
      .input(runTenantInputSchema)
      .use(async ({ ctx, input, next }) => {
        const accountId = requestedAccount(ctx, input.accountId) ?? undefined;
        const account = await ctx.services.tenants.forService(ctx.service, {
          accountId,
          userId: input.userId,
          runId: input.runId,
        });
        return next({ ctx: { account, tenant: account.tenant } });
      })
  );
}

function requireService(
  ctx: Context,
  scope: ApiKeyScope,
  expected: 'service' | 'user_or_service' = 'service',
): ServiceActor {
  const actor = ctx.actor;
  if (actor?.kind !== 'service') throw unauthorized(ctx, expected);
  if (!actor.scopes.includes(scope)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: `This API key lacks the ${scope} scope` });
  }
  return actor;
}

export type { UserActor, ServiceActor };
