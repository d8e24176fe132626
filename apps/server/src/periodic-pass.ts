import type { Logger } from '@tollgate/api';

export interface PeriodicPass {
  /** No new pass starts; resolves when the one under way (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `pass` every `intervalMs`, never two at once: a pass slower than the interval (Stripe slow, a
 * big backlog) skips the ticks it overlaps instead of piling up. A failed pass is logged and the next
 * tick tries again. `stop` waits for the pass under way, so the server closes Stripe and the database
 * pool only after it. An interval of 0 or less runs nothing.
 */
export function startPeriodicPass(
  intervalMs: number,
  pass: () => Promise<void>,
  logger: Logger,
  what: string,
): PeriodicPass {
  if (intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = pass()
      .catch((error: unknown) => logger.warn(`${what} failed; retrying next time`, { error: String(error) }))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref(); // the listener, not a timer, keeps the process alive
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
