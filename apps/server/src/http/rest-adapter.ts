import {
  createCaller,
  describeZodError,
  findAppError,
  isServiceUnavailable,
  retryAfterSecondsOf,
  serviceUnavailableBody,
  type Context,
} from '@tollgate/api';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { Request, RequestHandler, Response } from 'express';
import { ZodError, z } from 'zod';
import { procedureInput } from '../openapi/procedure-input';
import type { RestOperation } from '../routes/rest-operation';

type Caller = ReturnType<typeof createCaller>;
export type ContextFactory = (req: Request, res: Response) => Promise<Context>;

/** A 400 raised by the adapter itself (before the procedure runs), shaped like the procedures' own. */
class RestInputError extends Error {
  constructor(
    message: string,
    readonly fieldErrors?: Record<string, string[]>,
  ) {
    super(message);
  }
}

/**
 * REST routes are thin adapters over the same tRPC procedures (no second implementation): build the
 * context, call the procedure with the path params + query (GET) or body, and translate its errors into
 * HTTP status + JSON. A denied run answers 402 with the documented
 * `{ error: { code, message, plan, status, used, limit, resetsAt, upgradeUrl } }`.
 */
export function restOperationHandler(
  createContext: ContextFactory,
  operation: RestOperation,
): RequestHandler {
  const { hasInput } = procedureInput(operation.procedure);
  const segments = operation.procedure.split('.');
  return async (req, res, next) => {
    try {
      const context = await createContext(req, res);
      const input = hasInput ? restInput(operation, req, context) : undefined;
      const output = await callAtPath(createCaller(context), segments, input);
      res.status(operation.successStatus).json(operation.toBody ? operation.toBody(output) : output);
    } catch (error) {
      const httpError = toHttpError(error);
      // Anything else is the error handler's logged 500.
      if (!httpError) return next(error);
      const retryAfter = retryAfterSecondsOf(error);
      if (retryAfter !== null) res.setHeader('retry-after', String(retryAfter));
      res.status(httpError.status).json(httpError.body);
    }
  };
}

/**
 * The procedure's input, or the adapter's own 400 for it. Authentication is decided before input
 * validation: a call that needs a credential and has none goes to the procedure as is, whose
 * credential check answers 401 before it reads any input.
 */
function restInput(operation: RestOperation, req: Request, context: Context): unknown {
  try {
    return inputOf(operation, req);
  } catch (error) {
    const isRefusedAnyway = context.actor === null && operation.credentials.length > 0;
    if (error instanceof RestInputError && isRefusedAnyway) return undefined;
    throw error;
  }
}

function inputOf(operation: RestOperation, req: Request): unknown {
  const source: unknown = operation.method === 'get' ? req.query : (req.body ?? {});
  // Not an object (a JSON array, a string): let the procedure's schema reject it with its own message.
  if (!isPlainObject(source)) return source;
  return { ...applyAliases(source, operation.bodyAliases ?? {}), ...req.params };
}

/** Accepts the seed's snake_case names (`success_url`) next to ours; both at once is ambiguous. */
function applyAliases(
  fields: Record<string, unknown>,
  aliases: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const result = { ...fields };
  for (const [alias, name] of Object.entries(aliases)) {
    if (!(alias in result)) continue;
    if (name in result) throw new RestInputError(`Send either ${name} or ${alias}, not both`);
    result[name] = result[alias];
    delete result[alias];
  }
  return result;
}

async function callAtPath(caller: Caller, segments: readonly string[], input: unknown): Promise<unknown> {
  // The caller is a proxy: `caller.billing.subscription` resolves the procedure at that path.
  let node: unknown = caller;
  for (const segment of segments) node = (node as Record<string, unknown>)[segment];
  if (typeof node !== 'function') throw new Error(`No procedure at ${segments.join('.')}`);
  return (node as (input: unknown) => Promise<unknown>)(input);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The HTTP answer for an error of the adapter or a procedure; null for any other error. */
export function toHttpError(error: unknown): { status: number; body: unknown } | null {
  // The database could not be reached (while building the context or inside the procedure): retry.
  if (isServiceUnavailable(error)) return { status: 503, body: serviceUnavailableBody() };
  if (error instanceof RestInputError) {
    const { message, fieldErrors } = error;
    return {
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message, ...(fieldErrors ? { fieldErrors } : {}) } },
    };
  }
  const appError = findAppError(error);
  const paymentBody = appError?.code === 'PAYMENT_REQUIRED' ? appError.details?.body : undefined;
  if (paymentBody) return { status: 402, body: paymentBody };

  if (error instanceof TRPCError) {
    const status = getHTTPStatusCodeFromError(error);
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    // A domain error's message is written for users (AGENT_NOT_STARTED is a 503); anything else is hidden.
    const isInternal = status >= 500 && !(appError && appError.code !== 'INTERNAL');
    return {
      status,
      body: {
        error: {
          code: appError?.code ?? error.code,
          message: isInternal
            ? 'Internal server error'
            : zodError
              ? describeZodError(zodError)
              : error.message,
          ...(zodError ? { fieldErrors: z.flattenError(zodError).fieldErrors } : {}),
        },
      },
    };
  }
  return null;
}
