import { toTollgateError, type RouterOutputs } from '@tollgate/sdk';
import type { Api } from '../../lib/api';

/** Dates are ISO strings: tRPC sends JSON without a transformer. */
export type SessionSummary = RouterOutputs['sessions']['list'][number];
export type SessionDetail = RouterOutputs['sessions']['get'];
export type SessionRun = SessionDetail['runs'][number];
export type RunResult = RouterOutputs['sessions']['run'];

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toTollgateError(error);
  }
}

export function createSessionsApi({ client }: Api) {
  const { sessions } = client.trpc;
  return {
    list: () => call(sessions.list.query()),
    get: (id: string) => call(sessions.get.query({ id })),
    create: (title?: string) => call(sessions.create.mutate(title ? { title } : {})),
    remove: (id: string) => call(sessions.delete.mutate({ id })),
    /** Costs one run. `runId` is the idempotency key: resending it never charges twice. */
    run: (input: { id: string; runId: string; message: string }) => call(sessions.run.mutate(input)),
  };
}
