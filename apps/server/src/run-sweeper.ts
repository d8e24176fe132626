import type { Logger, Services } from '@tollgate/api';
import { startPeriodicPass } from './periodic-pass';

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
  // One line per pass, also when it moved nothing: it says which replica sweeps (the leader, see
  // leadership.ts) and that it sweeps once per interval; the deploy tests count these lines. At most
  // one a minute with the default RUN_START_TIMEOUT_SECONDS.
  async function sweep(): Promise<void> {
    const released = await services.usage.sweepUnstarted();
    const settled = await services.usage.sweepUnsettled();
    const expired = await services.credits.expireGrants();
    logger.info('run sweep pass', {
      // released: reserved and never started; settled: started, never settled by the caller (at the
      // estimate); expiredUnits: what expired credit grants still held (breakage).
      released,
      settled,
      expiredUnits: expired,
    });
  }
  return startPeriodicPass(intervalMs, sweep, logger, 'run sweep');
}
