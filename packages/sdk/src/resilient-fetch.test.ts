import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createResilientFetch } from './resilient-fetch';

// A garbage collection on demand (the flag set at run time, as `node --expose-gc` would).
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** A server that never answers: the attempt ends only when its signal aborts (as fetch, at once if it has). */
const hanging: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => {
    const signal = init?.signal;
    if (signal?.aborted) reject(signal.reason as Error);
    signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });

function resilient(fetchImpl: typeof fetch, retries = 0) {
  return createResilientFetch({
    fetch: fetchImpl,
    timeoutMs: 100,
    retries,
    isRetrySafe: () => true,
    getAuthorization: () => Promise.resolve(null),
  });
}

/** How the call ended within `withinMs`: the error's name, 'answered', or 'hung'. */
async function outcomeOf(call: Promise<Response>, withinMs = 3_000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), withinMs)));
  const ended = call.then(
    () => 'answered',
    (error: unknown) => (error as { name?: string }).name ?? String(error),
  );
  try {
    return await Promise.race([ended, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('resilient fetch: the timeout of each attempt', () => {
  it('fires while garbage is collected, with a caller signal given (as tRPC passes one)', async () => {
    const collecting = setInterval(collectGarbage, 5);
    try {
      const caller = new AbortController();
      const call = resilient(hanging, 1)('http://tollgate.test/api', { signal: caller.signal });
      expect(await outcomeOf(call)).toBe('TimeoutError');
    } finally {
      clearInterval(collecting);
    }
  });

  it("ends the attempt when the caller aborts, with the caller's reason, and retries nothing", async () => {
    let attempts = 0;
    const counted: typeof fetch = (input, init) => {
      attempts += 1;
      return hanging(input, init);
    };
    const caller = new AbortController();
    const call = resilient(counted, 3)('http://tollgate.test/api', { signal: caller.signal });
    caller.abort(new DOMException('gave up', 'AbortError'));
    expect(await outcomeOf(call)).toBe('AbortError');
    expect(attempts).toBe(1);
  });

  it('never aborts an answered attempt afterwards (the timer is cleared)', async () => {
    let signal: AbortSignal | undefined;
    const answers: typeof fetch = (_input, init) => {
      signal = init?.signal ?? undefined;
      return Promise.resolve(new Response('{}', { status: 200 }));
    };
    const response = await resilient(answers)('http://tollgate.test/api', {});
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(signal?.aborted).toBe(false);
  });
});
