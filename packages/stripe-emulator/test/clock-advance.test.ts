import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** Waits (real time) until the clock is at least `ms` into its current second. */
async function intoSecond(ms: number): Promise<void> {
  while (h.emulator.clock.now().getTime() % 1000 < ms) await new Promise((r) => setTimeout(r, 5));
}

describe('clock advance', () => {
  it('moves the clock by the whole amount asked, also from the middle of a second', async () => {
    await intoSecond(600);
    const before = h.emulator.clock.now().getTime();
    await h.emulator.clock.advance(86_400);
    const moved = h.emulator.clock.now().getTime() - before;
    // Real time runs on meanwhile, so a little more; never less (a trial started just before the
    // advance would otherwise end after "now plus its remaining days").
    expect(moved).toBeGreaterThanOrEqual(86_400_000);
    expect(moved).toBeLessThan(86_400_000 + 5_000);
  });
});
