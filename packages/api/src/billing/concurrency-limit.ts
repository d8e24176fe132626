/**
 * At most `max` calls of `run` at once; the others wait in arrival order. Webhook work passes every
 * database step through one of these, so a burst of deliveries holds a bounded share of the pool and
 * the rest of the server keeps its connections.
 */
export interface ConcurrencyLimit {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Running and waiting calls now, and the most that ever ran at once (for tests and diagnostics). */
  stats(): { active: number; waiting: number; max: number; peak: number };
}

export function createConcurrencyLimit(max: number): ConcurrencyLimit {
  if (!Number.isInteger(max) || max < 1) throw new Error(`concurrency limit must be >= 1, got ${max}`);
  let active = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];

  async function acquire(): Promise<void> {
    if (active < max) {
      active += 1;
      peak = Math.max(peak, active);
      return;
    }
    // The slot is handed over by release(): `active` stays as it is.
    await new Promise<void>((resolve) => waiting.push(resolve));
  }

  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  }

  return {
    async run(work) {
      await acquire();
      try {
        return await work();
      } finally {
        release();
      }
    },
    stats: () => ({ active, waiting: waiting.length, max, peak }),
  };
}
