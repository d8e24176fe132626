import type { Logger, Services } from '@tollgate/api';

/**
 * Releases runs reserved and never started (their caller crashed or gave up) once they are older than
 * RUN_START_TIMEOUT_SECONDS. Every server process may run it: the release is one statement over rows
 * taken with FOR UPDATE SKIP LOCKED, so each run is released once however many sweep at the same time.
 */
export function startRunSweeper(services: Services, startTimeoutMs: number, logger: Logger) {
  // A quarter of the timeout (1 s to 60 s): a run is released at most ~25 % after its deadline.
  const intervalMs = Math.min(60_000, Math.max(1_000, Math.floor(startTimeoutMs / 4)));
  let isSweeping = false;
  const timer = setInterval(() => {
    if (isSweeping) return;
    isSweeping = true;
    services.usage
      .sweepUnstarted()
      .then((released) => {
        if (released > 0) logger.info('released runs that never started', { released });
      })
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
