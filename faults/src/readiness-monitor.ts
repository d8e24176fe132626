/** Polls `/api/v1/health/ready` and keeps what it answered, to show readiness followed the database. */
export interface ReadinessMonitor {
  /** `at`: when the probe was sent, `endedAt`: when its answer came (ms on the load's clock). */
  samples: { at: number; endedAt: number; status: number | null }[];
  stop(): Promise<void>;
}

export function monitorReadiness(
  baseUrl: () => string,
  now: () => number,
  intervalMs = 100,
): ReadinessMonitor {
  const samples: ReadinessMonitor['samples'] = [];
  let isStopped = false;
  const loop = (async () => {
    while (!isStopped) {
      const at = now();
      const status = await fetch(`${baseUrl()}/api/v1/health/ready`, { signal: AbortSignal.timeout(10_000) })
        .then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        })
        .catch(() => null);
      samples.push({ at, endedAt: now(), status });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    samples,
    async stop() {
      isStopped = true;
      await loop;
    },
  };
}
