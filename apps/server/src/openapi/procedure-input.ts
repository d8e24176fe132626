import { appRouter } from '@tollgate/api';
import { z } from 'zod';
import type { ProcedurePath } from '../routes/rest-operation';

/** The input of one procedure, as a REST client sends it. */
export interface ProcedureInput {
  /** False for `z.void()` procedures: their routes ignore the query string and body. */
  hasInput: boolean;
  /** Every input field, all parsers merged (a procedure tier may add its own, like `userId`). */
  fields: Readonly<Record<string, z.ZodType>>;
  /** True when the procedure accepts no input at all (`.optional()` or `.default({})`): the body may be left out. */
  isOptional: boolean;
}

interface ZodInternals {
  _zod: { def: { type: string; innerType?: unknown; shape?: Record<string, z.ZodType> } };
}

const WRAPPERS = new Set(['default', 'prefault', 'optional']);

/**
 * Reads the zod input parsers of a procedure of the app router (tRPC keeps them in `_def.inputs`), so
 * REST routes and the OpenAPI document describe exactly what the procedure validates.
 */
export function procedureInput(path: ProcedurePath): ProcedureInput {
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { inputs: unknown[] } } | undefined
  >;
  const procedure = procedures[path];
  if (!procedure) throw new Error(`No procedure ${path} in the app router`);

  const fields: Record<string, z.ZodType> = {};
  let hasInput = false;
  let isOptional = true;
  for (const parser of procedure._def.inputs) {
    let schema = parser as ZodInternals;
    let isWrapped = false;
    while (WRAPPERS.has(schema._zod.def.type)) {
      isWrapped = true;
      schema = schema._zod.def.innerType as ZodInternals;
    }
    const { type, shape } = schema._zod.def;
    if (type === 'void') continue;
    if (type !== 'object' || !shape) throw new Error(`${path}: REST needs an object input, not ${type}`);
    hasInput = true;
    if (!isWrapped) isOptional = false;
    Object.assign(fields, shape);
  }
  return { hasInput, fields, isOptional: hasInput ? isOptional : true };
}

/** The fields as one object schema (unknown keys are stripped by the procedure, as here). */
export function objectOf(fields: Readonly<Record<string, z.ZodType>>): z.ZodObject {
  return z.object({ ...fields });
}
