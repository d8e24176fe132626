import { describe, expect, it } from 'vitest';
import { createRunBatcher, type BatchItemResult } from './run-batcher';

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const ok = <T>(value: T): BatchItemResult<T> => ({ ok: true, value });

/** A batcher over numbers whose batch answers n → n * 10; records every group it was given. */
function recordingBatcher(windowMs: number, maxSize: number) {
  const groups: number[][] = [];
  const singles: number[] = [];
  const batcher = createRunBatcher<number, number>({
    windowMs,
    maxSize,
    runBatch: async (inputs) => {
      groups.push([...inputs]);
      return inputs.map((n) => ok(n * 10));
    },
    runOne: async (n) => {
      singles.push(n);
      return n * 10;
    },
  });
  return { batcher, groups, singles };
}

describe('createRunBatcher', () => {
  it('tells onBatch each group’s size and its oldest caller’s wait; a throwing onBatch changes nothing', async () => {
    const told: { size: number; waitMs: number }[] = [];
    const batcher = createRunBatcher<number, number>({
      windowMs: 5,
      maxSize: 100,
      runBatch: async (inputs) => inputs.map((n) => ok(n * 10)),
      runOne: async (n) => n * 10,
      onBatch(size, waitMs) {
        told.push({ size, waitMs });
        throw new Error('metrics backend down');
      },
    });
    expect(await Promise.all([1, 2, 3].map((n) => batcher.submit(n)))).toEqual([10, 20, 30]);
    expect(told).toEqual([{ size: 3, waitMs: expect.any(Number) }]);
    expect(told[0]?.waitMs).toBeGreaterThanOrEqual(0);
    expect(told[0]?.waitMs).toBeLessThan(1000);
  });

  it('serves calls made within the window as one group, each caller getting its own result', async () => {
    const { batcher, groups, singles } = recordingBatcher(5, 100);
    const results = await Promise.all([1, 2, 3, 4].map((n) => batcher.submit(n)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(groups).toEqual([[1, 2, 3, 4]]);
    expect(singles).toEqual([]);
    expect(batcher.stats()).toEqual({ batches: 1, items: 4, largestBatch: 4, failedBatches: 0 });
  });

  it('an idle batcher sends the calls of the current turn at once, without waiting for the window', async () => {
    const { batcher, groups } = recordingBatcher(60_000, 100);
    const started = performance.now();
    expect(await Promise.all([batcher.submit(1), batcher.submit(2)])).toEqual([10, 20]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(groups).toEqual([[1, 2]]);
  });

  it('while a group is in flight, later calls are held for the window and then go as one group', async () => {
    const commit = deferred<void>();
    const groups: number[][] = [];
    const batcher = createRunBatcher<number, number>({
      windowMs: 300,
      maxSize: 100,
      runBatch: async (inputs) => {
        groups.push([...inputs]);
        if (inputs.includes(1)) await commit.promise;
        return inputs.map(ok);
      },
      runOne: async () => {
        throw new Error('not expected');
      },
    });
    const first = batcher.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = [batcher.submit(2), batcher.submit(3)];
    await new Promise((resolve) => setTimeout(resolve, 5));
    batcher.submit(4).catch(() => undefined);
    expect(groups).toEqual([[1]]);
    // The window ends while the first group is still in its transaction: the others go together.
    expect(await Promise.all(later)).toEqual([2, 3]);
    expect(groups).toEqual([[1], [2, 3, 4]]);
    commit.resolve();
    expect(await first).toBe(1);
  });

  it('calls waiting for the window go as soon as the groups in flight are done', async () => {
    const commit = deferred<void>();
    const groups: number[][] = [];
    const batcher = createRunBatcher<number, number>({
      windowMs: 60_000,
      maxSize: 100,
      runBatch: async (inputs) => {
        groups.push([...inputs]);
        if (inputs.includes(1)) await commit.promise;
        return inputs.map(ok);
      },
      runOne: async () => {
        throw new Error('not expected');
      },
    });
    const first = batcher.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = batcher.submit(2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(groups).toEqual([[1]]);
    commit.resolve();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(groups).toEqual([[1], [2]]);
  });

  it('sends a group as soon as it reaches maxSize', async () => {
    const { batcher, groups } = recordingBatcher(20, 4);
    const results = await Promise.all(Array.from({ length: 10 }, (_, n) => batcher.submit(n)));
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(groups).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('answers nobody before the group is done (its commit), then everybody', async () => {
    const commit = deferred<void>();
    const batcher = createRunBatcher<string, string>({
      windowMs: 1,
      maxSize: 10,
      runBatch: async (inputs) => {
        await commit.promise;
        return inputs.map((s) => ok(s.toUpperCase()));
      },
      runOne: async () => {
        throw new Error('not expected');
      },
    });
    const answered: string[] = [];
    const calls = ['a', 'b'].map((s) => batcher.submit(s).then((v) => answered.push(v)));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(answered).toEqual([]);
    commit.resolve();
    await Promise.all(calls);
    expect(answered.sort()).toEqual(['A', 'B']);
  });

  it('rejects only the caller whose item failed inside a group that succeeded', async () => {
    const batcher = createRunBatcher<number, number>({
      windowMs: 1,
      maxSize: 10,
      runBatch: async (inputs) =>
        inputs.map((n) => (n === 2 ? { ok: false, error: new Error('bad item 2') } : ok(n))),
      runOne: async () => {
        throw new Error('not expected');
      },
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: new Error('bad item 2') });
  });

  it('retries each caller of a failed group alone: a poisoned input fails only its own caller', async () => {
    const failures: Array<{ error: unknown; size: number }> = [];
    const batcher = createRunBatcher<number, number>({
      windowMs: 1,
      maxSize: 10,
      runBatch: async (inputs) => {
        if (inputs.includes(13)) throw new Error('the whole transaction rolled back');
        return inputs.map(ok);
      },
      runOne: async (n) => {
        if (n === 13) throw new Error('13 is poisoned');
        return -n;
      },
      onBatchFailure: (error, size) => failures.push({ error, size }),
    });
    const results = await Promise.allSettled([1, 13, 2].map((n) => batcher.submit(n)));
    expect(results).toEqual([
      { status: 'fulfilled', value: -1 },
      { status: 'rejected', reason: new Error('13 is poisoned') },
      { status: 'fulfilled', value: -2 },
    ]);
    expect(failures).toEqual([{ error: new Error('the whole transaction rolled back'), size: 3 }]);
    expect(batcher.stats().failedBatches).toBe(1);
    // The next group, without the poisoned input, is served as a group again.
    expect(await Promise.all([4, 5].map((n) => batcher.submit(n)))).toEqual([4, 5]);
  });

  it('treats a group answered with the wrong number of results as failed, retrying each caller', async () => {
    const batcher = createRunBatcher<number, number>({
      windowMs: 1,
      maxSize: 10,
      runBatch: async (inputs) => inputs.slice(1).map(ok),
      runOne: async (n) => n + 100,
    });
    expect(await Promise.all([1, 2].map((n) => batcher.submit(n)))).toEqual([101, 102]);
  });

  it('rejects every caller of a group that failed with an error not worth retrying alone, retrying none', async () => {
    const outage = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    let singleCalls = 0;
    const failures: number[] = [];
    const batcher = createRunBatcher<number, number>({
      windowMs: 1,
      maxSize: 10,
      runBatch: async () => {
        throw outage;
      },
      runOne: async (n) => {
        singleCalls += 1;
        return n;
      },
      shouldRetryAlone: (error) => error !== outage,
      onBatchFailure: (_error, size) => failures.push(size),
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n)));
    // The database is gone: three single calls against it would only fail again (a retry storm at scale).
    expect(results).toEqual([1, 2, 3].map(() => ({ status: 'rejected', reason: outage })));
    expect(singleCalls).toBe(0);
    expect(failures).toEqual([3]);
    expect(batcher.stats().failedBatches).toBe(1);
  });

  it('a throwing shouldRetryAlone still retries the callers alone', async () => {
    const batcher = createRunBatcher<number, number>({
      windowMs: 1,
      maxSize: 10,
      runBatch: async () => {
        throw new Error('rolled back');
      },
      runOne: async (n) => n + 100,
      shouldRetryAlone: () => {
        throw new Error('broken predicate');
      },
    });
    expect(await Promise.all([1, 2].map((n) => batcher.submit(n)))).toEqual([101, 102]);
  });

  it('flush sends the waiting group at once and waits for it', async () => {
    const { batcher, groups } = recordingBatcher(60_000, 100);
    const pending = batcher.submit(7);
    await batcher.flush();
    expect(groups).toEqual([[7]]);
    expect(await pending).toBe(70);
  });

  it('refuses a nonsensical configuration', () => {
    const runBatch = async () => [];
    const runOne = async () => 0;
    expect(() => createRunBatcher({ windowMs: -1, maxSize: 1, runBatch, runOne })).toThrow(/invalid/);
    expect(() => createRunBatcher({ windowMs: 1, maxSize: 0, runBatch, runOne })).toThrow(/invalid/);
  });
});
