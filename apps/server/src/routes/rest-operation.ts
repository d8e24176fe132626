import type { RouterOutputs } from '@tollgate/api';
import type { z } from 'zod';

/** "billing.subscription", "usage.authorize", …: every procedure of the app router. */
export type ProcedurePath = {
  [Domain in keyof RouterOutputs & string]: `${Domain}.${keyof RouterOutputs[Domain] & string}`;
}[keyof RouterOutputs & string];

export type ProcedureOutput<P extends ProcedurePath> = P extends `${infer Domain}.${infer Name}`
  ? Domain extends keyof RouterOutputs
    ? Name extends keyof RouterOutputs[Domain]
      ? RouterOutputs[Domain][Name]
      : never
    : never
  : never;

/** What a value becomes after JSON.stringify + JSON.parse (Dates turn into ISO strings). */
export type Jsonified<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? Jsonified<Item>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

/** Who may call an operation; an empty list means anyone. */
export type Credential = 'user' | 'service';

/** Error statuses an operation can answer beyond the ones every operation can (400, 500). */
export type ErrorStatus = 401 | 402 | 403 | 404 | 409 | 429 | 502 | 503;

/**
 * One REST operation under /api/v1, served by one tRPC procedure. The same record mounts the Express
 * route and writes the OpenAPI operation, so the two can't drift apart.
 */
export interface RestOperation {
  method: 'get' | 'post' | 'delete';
  /** Express-style path relative to /api/v1: `/sessions/:id/runs`. */
  path: string;
  procedure: ProcedurePath;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  credentials: readonly Credential[];
  successStatus: 200 | 201;
  /** Zod schema of the success body (its JSON form); `response` names it in the OpenAPI components. */
  response: { name: string; schema: z.ZodType };
  errors: readonly ErrorStatus[];
  /**
   * Body field aliases kept for clients written against the seed (AI-Manus) API, which used
   * snake_case: `{ success_url: 'successUrl' }`.
   */
  bodyAliases?: Readonly<Record<string, string>>;
  /** Reshapes the procedure's output into the REST body (adds the seed's field names). */
  toBody?: (output: unknown) => unknown;
  /** A request body that works, for the docs page and the OpenAPI example. */
  example?: Record<string, unknown>;
}

interface OperationSpec<P extends ProcedurePath, Body> extends Omit<
  RestOperation,
  'procedure' | 'response' | 'toBody'
> {
  procedure: P;
  /** The schema's output must be exactly the JSON the route sends (checked by the compiler). */
  response: { name: string; schema: z.ZodType<NoInfer<Jsonified<Body>>> };
  toBody?: (output: ProcedureOutput<P>) => Body;
}

/** Declares an operation with its response schema checked against the procedure's output type. */
export function defineOperation<P extends ProcedurePath, Body = ProcedureOutput<P>>(
  spec: OperationSpec<P, Body>,
): RestOperation {
  const { toBody, ...rest } = spec;
  return toBody ? { ...rest, toBody: (output) => toBody(output as ProcedureOutput<P>) } : rest;
}
