import type { Logger, Services } from '@tollgate/api';

/**
 * The run lifecycle's clock, every quarter of RUN_START_TIMEOUT_SECONDS (1 s to 60 s):
 * - releases runs reserved and never started (their caller crashed or gave up) once older than
 *   RUN_START_TIMEOUT_SECONDS;
 * - settles at their estimate runs started and never settled once older than RUN_SETTLE_TIMEOUT_SECONDS;
 * - records what expired credit grants still held as expired (breakage).
 * Every server process may run it: each run moves through one conditional UPDATE (so it is released or
 * settled once however many sweep at the same time), and grants expire under SKIP LOCKED.
 */
export function startRunSweeper(services: Services, startTimeoutMs: number, logger: Logger) {
  const intervalMs = Math.min(60_000, Math.max(1_000, Math.floor(startTimeoutMs / 4)));
  let isSweeping = false;
  async function sweep(): Promise<void> {
    const released = await services.usage.sweepUnstarted();
    if (released > 0) logger.info('released runs that never started', { released });
    const settled = await services.usage.sweepUnsettled();
    if (settled > 0)
      logger.info('settled runs never settled by their caller, at their estimate', { settled });
    const expired = await services.credits.expireGrants();
    if (expired > 0) logger.info('credit grants expired', { units: expired });
  }
  const timer = setInterval(() => {
    if (isSweeping) return;
    isSweeping = true;
    sweep()
      .catch((error: unknown) =>
        logger.warn('run sweep failed; retrying next time', { error: String(error) }),
      )
      .finally(() => {
        isSweeping = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
