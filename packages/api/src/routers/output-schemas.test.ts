import { describe, expect, it } from 'vitest';
import { appRouter } from '../root';

type ProcedureDefs = Record<string, { _def: { output?: unknown } }>;

describe('the app router', () => {
  // One schema per procedure: it validates the answer, types the service and writes the OpenAPI.
  it('gives every procedure an output schema', () => {
    const procedures = appRouter._def.procedures as unknown as ProcedureDefs;
    const paths = Object.keys(procedures);
    expect(paths.length).toBeGreaterThan(25);
    expect(paths.filter((path) => procedures[path]?._def.output === undefined)).toEqual([]);
  });
});
