/**
 * Fixed-window counter per key (client IP + route), in process memory. Enough for one server process
 * behind nginx (which rate-limits the auth routes too); a multi-process deployment would move this to Redis.
 */
export interface RateLimiter {
  /** Counts one hit; false when the key is over its limit for the current window. */
  hit(key: string, now: Date): boolean;
}

export function createRateLimiter({ windowMs, max }: { windowMs: number; max: number }): RateLimiter {
  const windows = new Map<string, { startsAt: number; count: number }>();
  return {
    hit(key, now) {
      const time = now.getTime();
      const window = windows.get(key);
      if (!window || time - window.startsAt >= windowMs) {
        if (windows.size > 10_000) pruneExpired(windows, time, windowMs);
        windows.set(key, { startsAt: time, count: 1 });
        return true;
      }
      window.count += 1;
      return window.count <= max;
    },
  };
}

function pruneExpired(windows: Map<string, { startsAt: number }>, time: number, windowMs: number) {
  for (const [key, window] of windows) if (time - window.startsAt >= windowMs) windows.delete(key);
}
