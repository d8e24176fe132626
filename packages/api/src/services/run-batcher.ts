/** One input's share of a grouped call: its own value, or its own error. */
export type BatchItemResult<Output> = { ok: true; value: Output } | { ok: false; error: unknown };

export interface RunBatcherOptions<Input, Output> {
  /**
   * While a group is in flight, how long the first waiting call holds the next group open for others
   * (≤ 2 ms keeps latency low).
   */
  windowMs: number;
  /** A group this large is sent at once, without waiting for the window to end. */
  maxSize: number;
  /**
   * Serves the whole group (one transaction); one result per input, in input order. It must resolve
   * only once that transaction committed: callers are told their result as soon as it does.
   */
  runBatch(inputs: readonly Input[]): Promise<BatchItemResult<Output>[]>;
  /**
   * The single-call path. When a grouped call throws (its transaction rolled back, nothing of it was
   * kept), every caller of the group is retried alone through it, so one poisoned request fails only
   * its own caller and nobody's request is lost.
   */
  runOne(input: Input): Promise<Output>;
  /**
   * Whether the callers of a group that failed with `error` are retried alone (default: always). False
   * for an error that would fail each of them again (the database is unreachable): every caller gets
   * that error at once, instead of a burst of single calls against a database that is gone.
   */
  shouldRetryAlone?(error: unknown): boolean;
  /** Told about each group that failed as a whole (before its callers are retried alone or rejected). */
  onBatchFailure?(error: unknown, size: number): void;
  /** Told about each group sent: its size and how long its oldest caller waited (metrics; must not throw). */
  onBatch?(size: number, waitMs: number): void;
}

export interface RunBatcherStats {
  batches: number;
  items: number;
  largestBatch: number;
  /** Groups that failed as a whole and were retried one call at a time. */
  failedBatches: number;
}

export interface RunBatcher<Input, Output> {
  submit(input: Input): Promise<Output>;
  /** Sends whatever is waiting now and resolves once every group in flight has settled. */
  flush(): Promise<void>;
  stats(): RunBatcherStats;
}

interface Waiter<Input, Output> {
  input: Input;
  /** performance.now() at submit: the group's wait is its oldest waiter's. */
  submittedAt: number;
  resolve(value: Output): void;
  reject(error: unknown): void;
}

/**
 * Group commit for concurrent calls. While a group is in its transaction, new calls wait for at most
 * `windowMs` (or until `maxSize` are waiting, or until the groups in flight are done) and then go as
 * ONE `runBatch`: under load every commit carries many runs. When nothing is in flight the calls of
 * the current event-loop turn go at once: an idle server adds no window to a lone request's latency.
 * Groups don't wait for each other: while one is in its transaction, the next one is collecting.
 */
export function createRunBatcher<Input, Output>(
  options: RunBatcherOptions<Input, Output>,
): RunBatcher<Input, Output> {
  const {
    windowMs,
    maxSize,
    runBatch,
    runOne,
    onBatchFailure,
    onBatch,
    shouldRetryAlone = () => true,
  } = options;
  if (!(windowMs >= 0) || !Number.isInteger(maxSize) || maxSize < 1) {
    throw new Error(`createRunBatcher: invalid windowMs ${windowMs} or maxSize ${maxSize}`);
  }
  let waiting: Waiter<Input, Output>[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let isTurnEndQueued = false;
  const inFlight = new Set<Promise<void>>();
  const counters: RunBatcherStats = { batches: 0, items: 0, largestBatch: 0, failedBatches: 0 };

  function submit(input: Input): Promise<Output> {
    return new Promise<Output>((resolve, reject) => {
      waiting.push({ input, submittedAt: performance.now(), resolve, reject });
      if (waiting.length >= maxSize) dispatch();
      else if (inFlight.size === 0) dispatchAtTurnEnd();
      else if (timer === null) timer = setTimeout(dispatch, windowMs);
    });
  }

  function dispatchAtTurnEnd(): void {
    if (isTurnEndQueued) return;
    isTurnEndQueued = true;
    setImmediate(() => {
      isTurnEndQueued = false;
      dispatch();
    });
  }

  function dispatch(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (waiting.length === 0) return;
    const group = waiting;
    waiting = [];
    counters.batches += 1;
    counters.items += group.length;
    counters.largestBatch = Math.max(counters.largestBatch, group.length);
    if (onBatch) {
      try {
        onBatch(group.length, performance.now() - (group[0]?.submittedAt ?? performance.now()));
      } catch {
        // An observer: a failing one must not keep the group from being sent.
      }
    }
    const settled: Promise<void> = serve(group).finally(() => {
      inFlight.delete(settled);
      // The last group in flight is done: whoever waits for the window goes now.
      if (inFlight.size === 0 && waiting.length > 0) dispatch();
    });
    inFlight.add(settled);
  }

  async function serve(group: Waiter<Input, Output>[]): Promise<void> {
    let results: BatchItemResult<Output>[];
    try {
      results = await runBatch(group.map((waiter) => waiter.input));
      if (results.length !== group.length) {
        throw new Error(`runBatch returned ${results.length} results for ${group.length} inputs`);
      }
    } catch (error) {
      counters.failedBatches += 1;
      try {
        onBatchFailure?.(error, group.length);
      } catch {
        // A failing logger must not keep the callers from being retried.
      }
      if (!isRetriedAlone(error)) {
        for (const waiter of group) waiter.reject(error);
        return;
      }
      await Promise.all(
        group.map((waiter) =>
          Promise.resolve()
            .then(() => runOne(waiter.input))
            .then(waiter.resolve, waiter.reject),
        ),
      );
      return;
    }
    group.forEach((waiter, i) => {
      const result = results[i];
      if (result?.ok) waiter.resolve(result.value);
      else waiter.reject(result?.error ?? new Error('runBatch returned no result for this input'));
    });
  }

  function isRetriedAlone(error: unknown): boolean {
    try {
      return shouldRetryAlone(error);
    } catch {
      return true;
    }
  }

  async function flush(): Promise<void> {
    dispatch();
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }

  return { submit, flush, stats: () => ({ ...counters }) };
}
