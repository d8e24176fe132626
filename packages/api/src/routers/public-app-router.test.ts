import { describe, expectTypeOf, it } from 'vitest';
import type { AppRouter } from '../root';
import type { PublicAppRouter } from './public-app-router';

type ErrorDataOf<R extends { _def: { _config: { $types: { errorShape: { data: object } } } } }> = Omit<
  R['_def']['_config']['$types']['errorShape']['data'],
  'fieldErrors'
>;

describe('PublicAppRouter', () => {
  it('has exactly the procedures of AppRouter, with their inputs and outputs', () => {
    expectTypeOf<PublicAppRouter['_def']['record']>().toEqualTypeOf<AppRouter['_def']['record']>();
  });

  it("describes the error formatter's data", () => {
    expectTypeOf<ErrorDataOf<PublicAppRouter>>().toEqualTypeOf<ErrorDataOf<AppRouter>>();
    // The formatter's fieldErrors is typed `{}` by zod (flattenError of an unknown input): the public
    // type names what it holds.
    expectTypeOf<
      PublicAppRouter['_def']['_config']['$types']['errorShape']['data']['fieldErrors']
    >().toExtend<AppRouter['_def']['_config']['$types']['errorShape']['data']['fieldErrors']>();
  });

  it('carries no server context', () => {
    expectTypeOf<PublicAppRouter['_def']['_config']['$types']['ctx']>().toEqualTypeOf<object>();
  });
});
