import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRunBatcher, type BatchItemResult } from './run-batcher';

// The batcher's timing rules on fake timers: no wall clock, so the counts and orders are exact even on a
// busy machine. (run-batcher.test.ts covers the same batcher on real timers.)
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const WINDOW_MS = 100;
const ok = <T>(value: T): BatchItemResult<T> => ({ ok: true, value });

function deferred() {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** Records each group; a group that contains an input listed in `held` waits for that input's release. */
function heldBatcher(options: { windowMs?: number; maxSize?: number } = {}) {
  const groups: number[][] = [];
  const held = new Map<number, ReturnType<typeof deferred>>();
  const batcher = createRunBatcher<number, number>({
    windowMs: options.windowMs ?? WINDOW_MS,
    maxSize: options.maxSize ?? 100,
    runBatch: async (inputs) => {
      groups.push([...inputs]);
      for (const input of inputs) await held.get(input)?.promise;
      return inputs.map(ok);
    },
    runOne: async () => {
      throw new Error('not expected');
    },
  });
  const hold = (input: number) => {
    const gate = deferred();
    held.set(input, gate);
    return gate;
  };
  /** submit, remembering whether the call has been answered yet. */
  const track = (input: number) => {
    const call = { isAnswered: false, value: undefined as number | undefined };
    const promise = batcher.submit(input).then((value) => {
      call.isAnswered = true;
      call.value = value;
      return value;
    });
    return Object.assign(call, { promise });
  };
  return { batcher, groups, hold, track };
}

/** Lets the promise callbacks of the current moment run (fake timers don't advance). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

describe('createRunBatcher on fake timers', () => {
  it('an idle batcher schedules one wake-up per turn, however many calls arrive in it', async () => {
    const { batcher, groups } = heldBatcher();
    const calls = [1, 2, 3].map((n) => batcher.submit(n));
    expect(vi.getTimerCount()).toBe(1);
    await vi.runAllTimersAsync();
    expect(await Promise.all(calls)).toEqual([1, 2, 3]);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it('an idle batcher wakes up again for a later turn', async () => {
    const { groups, track } = heldBatcher();
    const first = track(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(first.isAnswered).toBe(true);
    const second = track(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(second.isAnswered).toBe(true);
    expect(groups).toEqual([[1], [2]]);
  });

  it('while a group is in flight, the calls waiting for the window share one timer', async () => {
    const { groups, hold, track } = heldBatcher();
    const gate = hold(1);
    track(1);
    await vi.advanceTimersByTimeAsync(0);
    const waiting = [track(2)];
    await vi.advanceTimersByTimeAsync(WINDOW_MS / 2);
    waiting.push(track(3), track(4));
    expect(vi.getTimerCount()).toBe(1);
    // The window counts from the first waiting call.
    await vi.advanceTimersByTimeAsync(WINDOW_MS / 2 - 1);
    expect(groups).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(groups).toEqual([[1], [2, 3, 4]]);
    expect(waiting.every((call) => call.isAnswered)).toBe(true);
    // A call arriving now gets a full window of its own: no older timer fires for it early.
    const late = track(5);
    await vi.advanceTimersByTimeAsync(WINDOW_MS - 1);
    expect(late.isAnswered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(late.isAnswered).toBe(true);
    gate.resolve();
    await vi.runAllTimersAsync();
    expect(groups).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('a group sent before its window ends (maxSize reached) leaves no timer behind', async () => {
    const { groups, hold, track } = heldBatcher({ maxSize: 2 });
    hold(1);
    track(1);
    await vi.advanceTimersByTimeAsync(0);
    track(2);
    expect(vi.getTimerCount()).toBe(1);
    track(3);
    expect(groups).toEqual([[1], [2, 3]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('when one of two groups in flight is done, the waiting calls still wait for their window', async () => {
    const { groups, hold, track } = heldBatcher();
    const first = hold(1);
    hold(2);
    track(1);
    await vi.advanceTimersByTimeAsync(0);
    track(2);
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    expect(groups).toEqual([[1], [2]]);
    const waiting = track(3);
    first.resolve();
    await settle();
    expect(groups).toEqual([[1], [2]]);
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    expect(groups).toEqual([[1], [2], [3]]);
    expect(waiting.isAnswered).toBe(true);
  });

  it('flush with nothing waiting sends no empty group', async () => {
    const { batcher, groups } = heldBatcher();
    await batcher.flush();
    expect(groups).toEqual([]);
    expect(batcher.stats()).toEqual({ batches: 0, items: 0, largestBatch: 0, failedBatches: 0 });
  });

  it('flush resolves only once the groups in flight are done', async () => {
    const { batcher, hold, track } = heldBatcher();
    const gate = hold(1);
    const call = track(1);
    let isFlushed = false;
    const flushed = batcher.flush().then(() => {
      isFlushed = true;
    });
    await settle();
    expect(isFlushed).toBe(false);
    gate.resolve();
    await flushed;
    expect(call.isAnswered).toBe(true);
  });

  it('a result missing from the answer of runBatch fails only its own caller', async () => {
    const batcher = createRunBatcher<number, number>({
      windowMs: WINDOW_MS,
      maxSize: 100,
      runBatch: async (inputs) => {
        const results: BatchItemResult<number>[] = [];
        results[0] = ok(inputs[0] ?? 0);
        results.length = inputs.length; // a hole where the second result should be
        return results;
      },
      runOne: async () => {
        throw new Error('not expected');
      },
    });
    const results = Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    await vi.runAllTimersAsync();
    expect(await results).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: expect.any(Error) },
    ]);
  });

  it.each([
    [{ windowMs: 0, maxSize: 1 }, true],
    [{ windowMs: 0, maxSize: 100 }, true],
    [{ windowMs: Number.NaN, maxSize: 1 }, false],
    [{ windowMs: 1, maxSize: 1.5 }, false],
  ])('configuration %j is accepted: %s', async (config, isAccepted) => {
    const create = () =>
      createRunBatcher<number, number>({
        ...config,
        runBatch: async (inputs) => inputs.map(ok),
        runOne: async (n) => n,
      });
    if (!isAccepted) {
      expect(create).toThrow(/invalid/);
      return;
    }
    const batcher = create();
    const calls = [1, 2].map((n) => batcher.submit(n));
    await vi.runAllTimersAsync();
    expect(await Promise.all(calls)).toEqual([1, 2]);
    expect(batcher.stats().largestBatch).toBe(config.maxSize === 1 ? 1 : 2);
  });
});

describe('createRunBatcher on real timers', () => {
  it('flush waits for a group whose work takes real time (no busy loop starving the event loop)', async () => {
    vi.useRealTimers();
    const batcher = createRunBatcher<number, number>({
      windowMs: WINDOW_MS,
      maxSize: 100,
      runBatch: async (inputs) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return inputs.map(ok);
      },
      runOne: async () => {
        throw new Error('not expected');
      },
    });
    const call = batcher.submit(1);
    await batcher.flush();
    expect(batcher.stats().batches).toBe(1);
    expect(await call).toBe(1);
  });
});
