import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls until `condition` holds: for what a test waits on without a signal (a request reaching a double,
 * rows an outbox marked sent). Waiting for the state itself, never for a fixed delay, keeps a test right
 * on a loaded machine; the deadline turns a state that never comes into a failure that names it.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
