export interface LoopResult {
  operations: number;
  failures: number;
  seconds: number;
  perSecond: number;
}

export interface LoopOptions {
  /** Calls kept in flight at all times. */
  concurrency: number;
  durationMs: number;
  /** Run (and discard) this long first: JIT, pool connections, plan caches. */
  warmupMs?: number;
}

/**
 * Closed-loop load: `concurrency` workers each call `operation(n)` back to back until the time is up.
 * `n` is unique across workers, so callers can derive unique run ids from it. A failure is counted
 * (and handed to `onFailure`), not thrown: the figure is the rate of successful operations.
 */
export async function runClosedLoop(
  operation: (n: number) => Promise<unknown>,
  options: LoopOptions,
  onFailure: (error: unknown) => void = () => {},
): Promise<LoopResult> {
  let next = 0;
  if (options.warmupMs) await loop(options.warmupMs);
  const started = performance.now();
  const counted = await loop(options.durationMs);
  const seconds = (performance.now() - started) / 1000;
  return { ...counted, seconds, perSecond: counted.operations / seconds };

  async function loop(durationMs: number) {
    const deadline = performance.now() + durationMs;
    let operations = 0;
    let failures = 0;
    async function worker() {
      while (performance.now() < deadline) {
        const n = next;
        next += 1;
        try {
          await operation(n);
          operations += 1;
        } catch (error) {
          failures += 1;
          onFailure(error);
        }
      }
    }
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    return { operations, failures };
  }
}
