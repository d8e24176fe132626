import { toTollgateError } from '@tollgate/sdk';
import { shallowRef, ref } from 'vue';
import { errorMessage } from '../../lib/error-message';
import { createLatestOnly } from '../../lib/latest-only';

export type QueryStatus = 'idle' | 'loading' | 'ready' | 'error' | 'forbidden';

/** A 403: the caller isn't staff (any more); the page says "operators only" instead of an error. */
export function isForbidden(failure: unknown): boolean {
  return toTollgateError(failure).httpStatus === 403;
}

/**
 * One staff read the page shows: its answer, where it stands, and the error to show. An answer that
 * arrives after a newer call started is dropped (filters typed quickly must not show an older page).
 */
export function useConsoleQuery<Input, Output>(fetcher: (input: Input) => Promise<Output>) {
  const data = shallowRef<Output | null>(null);
  const status = ref<QueryStatus>('idle');
  const error = ref<string | null>(null);
  const calls = createLatestOnly();

  async function load(input: Input): Promise<void> {
    const call = calls.begin();
    status.value = 'loading';
    error.value = null;
    try {
      const answer = await fetcher(input);
      if (!calls.isLatest(call)) return;
      data.value = answer;
      status.value = 'ready';
    } catch (failure) {
      if (!calls.isLatest(call)) return;
      error.value = errorMessage(failure);
      status.value = isForbidden(failure) ? 'forbidden' : 'error';
    }
  }

  return { data, status, error, load };
}
