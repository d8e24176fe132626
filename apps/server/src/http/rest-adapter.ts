import { appRouter, errorAnswerOf, type Context } from '@tollgate/api';
import { AppError } from '@tollgate/domain';
import type { AnyTRPCProcedure, AnyTRPCRouter } from '@trpc/server';
import type { Request, RequestHandler, Response } from 'express';
import { procedureInput } from '../openapi/procedure-input';
import type { RestOperation } from '../routes/rest-operation';
import { sendErrorAnswer } from './error-handler';
import { sendJson } from './send-json';

export type ContextFactory = (req: Request, res: Response) => Promise<Context>;

/** A 400 raised by the adapter itself (before the procedure runs), answered like the procedures' own. */
class RestInputError extends AppError {
  constructor(message: string) {
    super('BAD_REQUEST', message);
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
  const path = operation.procedure;
  const procedure = procedureAt(path);
  const type = procedure._def.type;
  return async (req, res, next) => {
    try {
      const context = await createContext(req, res);
      const input = hasInput ? restInput(operation, req, context) : undefined;
      // As createCaller(context).<path>(input) runs it, without resolving the path on every call.
      const output: unknown = await procedure({
        path,
        getRawInput: async () => input,
        ctx: context,
        type,
        signal: undefined,
        batchIndex: 0,
      });
      sendJson(res, operation.successStatus, operation.toBody ? operation.toBody(output) : output);
    } catch (error) {
      const answer = errorAnswerOf(error);
      // An error nothing expected is the error handler's logged 500.
      if (answer.isUnexpected) return next(error);
      sendErrorAnswer(res, answer);
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

/** The procedure an operation runs, found once when its route is mounted (a wrong path fails at start). */
function procedureAt(path: string): AnyTRPCProcedure {
  const router: AnyTRPCRouter = appRouter;
  // Flat at runtime, by full path (`usage.authorize`), whatever the nesting of its static type.
  const procedures = router._def.procedures as Record<string, AnyTRPCProcedure | undefined>;
  const procedure = Object.hasOwn(procedures, path) ? procedures[path] : undefined;
  if (!procedure) throw new Error(`No procedure at ${path}`);
  return procedure;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
