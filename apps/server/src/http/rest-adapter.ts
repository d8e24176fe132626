import { createCaller, describeZodError, findAppError, type Context } from '@tollgate/api';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { Request, RequestHandler, Response } from 'express';
import { ZodError, z } from 'zod';

type Caller = ReturnType<typeof createCaller>;

/**
 * REST routes are thin adapters over the same tRPC procedures (no second implementation): build the
 * context, call the procedure, and translate its errors into HTTP status + JSON. A denied run answers
 * 402 with the documented `{ error: { code, message, plan, status, used, limit, resetsAt, upgradeUrl } }`.
 */
export function restRoute(
  createContext: (req: Request, res: Response) => Promise<Context>,
  handler: (caller: Caller, req: Request) => Promise<unknown>,
  successStatus = 200,
): RequestHandler {
  return async (req, res) => {
    try {
      const caller = createCaller(await createContext(req, res));
      res.status(successStatus).json(await handler(caller, req));
    } catch (error) {
      const { status, body } = toHttpError(error);
      res.status(status).json(body);
    }
  };
}

export function toHttpError(error: unknown): { status: number; body: unknown } {
  const appError = findAppError(error);
  const paymentBody = appError?.code === 'PAYMENT_REQUIRED' ? appError.details?.body : undefined;
  if (paymentBody) return { status: 402, body: paymentBody };

  if (error instanceof TRPCError) {
    const status = getHTTPStatusCodeFromError(error);
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    const isInternal = status >= 500;
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
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal server error' } } };
}
