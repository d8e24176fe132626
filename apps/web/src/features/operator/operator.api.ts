import { toTollgateError, type RouterInputs, type RouterOutputs } from '@tollgate/sdk';
import type { Api } from '../../lib/api';

/** Instants stay ISO strings here: tRPC sends JSON without a transformer. */
export type ApiKeyRow = RouterOutputs['apiKeys']['list'][number];
/** The create answer: the only time the key itself is ever sent. */
export type CreatedApiKey = RouterOutputs['apiKeys']['create'];
export type NewApiKey = RouterInputs['apiKeys']['create'];

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toTollgateError(error);
  }
}

/** apiKeys.* over tRPC (operator procedures: anyone else gets 403). */
export function createApiKeysApi({ client }: Api) {
  const { apiKeys } = client.trpc;
  return {
    list: (): Promise<ApiKeyRow[]> => call(apiKeys.list.query()),
    create: (input: NewApiKey): Promise<CreatedApiKey> => call(apiKeys.create.mutate(input)),
    async revoke(id: string): Promise<void> {
      await call(apiKeys.revoke.mutate({ id }));
    },
  };
}
