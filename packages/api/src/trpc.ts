import { findPlatformRole } from '@tollgate/db';
import { paymentRequiredBodySchema, type PaymentRequiredBody } from '@tollgate/domain';
import { TRPCError, initTRPC } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import type { Actor } from './actor';
import type { ApiKeyScope } from './auth/api-key-format';
import { unauthorizedMessage } from './auth/credential-problem';
import type { Context } from './context';
import { wireErrorOfTRPC } from './error-answer';
import { findAppError, isServiceUnavailable, serviceUnavailableError, toTRPCError } from './errors';
import { userIdSchema } from './text-schemas';

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
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Domain errors (AppError) thrown anywhere below become their mapped tRPC code here, in one place; a
 * database that can't be reached (lost connection, restart, no pool connection in time) becomes
 * SERVICE_UNAVAILABLE (503 + Retry-After), so clients retry instead of reporting a bug.
 */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR') {
    const appError = findAppError(result.error);
    if (appError) throw toTRPCError(appError);
    if (isServiceUnavailable(result.error)) throw serviceUnavailableError(result.error);
  }
  return result;
});

const logUnexpectedErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR') {
    ctx.deps.logger.error('procedure failed', {
      path,
      requestId: ctx.requestId,
      error: String(result.error.cause ?? result.error),
    });
  }
  return result;
});

export const publicProcedure = t.procedure.use(logUnexpectedErrors).use(mapDomainErrors);

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
  return next();
});

/**
 * Acts for one user: a user acts for themself (a `userId` naming someone else is FORBIDDEN); a service
 * key with `scope` acts for the `userId` it names, which must be a known user unless a host platform
 * vouches for users (404 UNKNOWN_USER, see `accounts.requireKnownUser`).
 */
export function actingForUserProcedure(scope: ApiKeyScope) {
  return (
    publicProcedure
      // The credential first (401/403 whatever the input), then the input, then who acts for whom.
      .use(({ ctx, next }) => {
        const actingActor: Actor =
          ctx.actor?.kind === 'user' ? ctx.actor : requireService(ctx, scope, 'user_or_service');
        return next({ ctx: { actingActor } });
      })
      .input(z.object({ userId: userIdSchema.optional() }).default({}))
      .use(async ({ ctx, input, next }) => {
        const actor = ctx.actingActor;
        if (actor.kind === 'user') {
          if (input.userId !== undefined && input.userId !== actor.userId) {
            throw new TRPCError({ code: 'FORBIDDEN', message: 'A user can only act for themself' });
          }
          return next({ ctx: { targetUserId: actor.userId } });
        }
        if (input.userId === undefined) {
          throw new TRPCError({ code: 'BAD_REQUEST', message: 'userId is required with a service API key' });
        }
        await ctx.services.accounts.requireKnownUser(input.userId);
        return next({ ctx: { targetUserId: input.userId } });
      })
  );
}

/**
 * A service's act for the user it names (`userId` required). End-user tokens are refused (403): e.g.
 * releasing a run gives units back, which only the service that reserved it may decide.
 */
export function serviceForUserProcedure(scope: ApiKeyScope) {
  return (
    publicProcedure
      // The credential first: a user token is refused whatever it sends.
      .use(({ ctx, next }) => {
        if (ctx.actor?.kind === 'user') {
          throw new TRPCError({
            code: 'FORBIDDEN',
            message: `Only a service API key with the ${scope} scope may do this`,
          });
        }
        return next({ ctx: { service: requireService(ctx, scope) } });
      })
      .input(z.object({ userId: userIdSchema }))
      .use(async ({ ctx, input, next }) => {
        await ctx.services.accounts.requireKnownUser(input.userId);
        return next({ ctx: { targetUserId: input.userId } });
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
