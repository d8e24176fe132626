import { findPlatformRole } from '@tollgate/db';
import { paymentRequiredBodySchema, type PaymentRequiredBody } from '@tollgate/domain';
import { TRPCError, initTRPC } from '@trpc/server';
import { ZodError, z } from 'zod';
import type { ApiKeyScope } from './auth/api-key-format';
import type { Actor, Context } from './context';
import { findAppError, toTRPCError } from './errors';
import { userIdSchema } from './routers/inputs';

export type { Context } from './context';

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    const appError = findAppError(error);
    const paymentRequired = paymentRequiredBodySchema.safeParse(appError?.details?.body);
    return {
      ...shape,
      // Internal errors never leak their message (it may contain SQL or stack details).
      message:
        shape.data.code === 'INTERNAL_SERVER_ERROR'
          ? 'Internal server error'
          : zodError
            ? describeZodError(zodError)
            : shape.message,
      data: {
        ...shape.data,
        stack: undefined,
        appCode: appError?.code ?? null,
        fieldErrors: zodError ? z.flattenError(zodError).fieldErrors : null,
        paymentRequired: paymentRequired.success
          ? (paymentRequired.data.error as PaymentRequiredBody['error'])
          : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/** Domain errors (AppError) thrown anywhere below become their mapped tRPC code here, in one place. */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const appError = findAppError(result.error);
    if (appError && result.error.code === 'INTERNAL_SERVER_ERROR') throw toTRPCError(appError);
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

/** A signed-in user (Tollgate's own JWT or the host platform's). */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.actor?.kind !== 'user') throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
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

/** A service holding an API key with the given scope. */
export function serviceProcedure(scope: ApiKeyScope) {
  return publicProcedure.use(({ ctx, next }) => next({ ctx: { service: requireService(ctx.actor, scope) } }));
}

/**
 * Acts for one user: a user acts for themself (a `userId` naming someone else is FORBIDDEN); a service
 * key with `scope` acts for the `userId` it names.
 */
export function actingForUserProcedure(scope: ApiKeyScope) {
  return publicProcedure
    .input(z.object({ userId: userIdSchema.optional() }).default({}))
    .use(({ ctx, input, next }) => {
      const actor = ctx.actor;
      if (actor?.kind === 'user') {
        if (input.userId !== undefined && input.userId !== actor.userId) {
          throw new TRPCError({ code: 'FORBIDDEN', message: 'A user can only act for themself' });
        }
        return next({ ctx: { targetUserId: actor.userId, actingActor: actor as Actor } });
      }
      const service = requireService(actor, scope);
      if (input.userId === undefined) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'userId is required with a service API key' });
      }
      return next({ ctx: { targetUserId: input.userId, actingActor: service as Actor } });
    });
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
        return next({ ctx: { service: requireService(ctx.actor, scope) } });
      })
      .input(z.object({ userId: userIdSchema }))
      .use(({ input, next }) => next({ ctx: { targetUserId: input.userId } }))
  );
}

function requireService(actor: Actor | null, scope: ApiKeyScope): ServiceActor {
  if (actor?.kind !== 'service') {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'A service API key is required' });
  }
  if (!actor.scopes.includes(scope)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: `This API key lacks the ${scope} scope` });
  }
  return actor;
}

export type { UserActor, ServiceActor };

/** "Invalid input: email: must be an email address; password: …" instead of a JSON dump of issues. */
export function describeZodError(error: ZodError): string {
  const parts = error.issues.map((issue) =>
    issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
  );
  return `Invalid input: ${parts.join('; ')}`;
}
