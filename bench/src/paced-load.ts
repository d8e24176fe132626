import { Agent, request } from 'node:http';
import type { LoadResult, LoadSpec, PreparedRequest } from './load-spec';

type NextRequest = () => PreparedRequest & { path: string };

/** Open-loop load at a fixed rate (see LoadSpec.pacedRate). */
export async function runPaced(spec: LoadSpec, rate: number, nextRequest: NextRequest): Promise<LoadResult> {
  const target = new URL(spec.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const total = Math.max(1, Math.round(rate * (spec.durationSeconds ?? 1)));
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  let settled = 0;
  const started = performance.now();

  await new Promise<void>((resolve) => {
    const settle = () => {
      settled += 1;
      if (settled === total) resolve();
    };
    const fire = () => {
      const next = nextRequest();
      const issuedAt = performance.now();
      const body = next.body ?? '';
      const outgoing = request(
        {
          host: target.hostname,
          port: target.port,
          method: spec.method,
          path: next.path,
          headers: { ...next.headers, 'content-length': Buffer.byteLength(body) },
          agent,
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            latencies.push(performance.now() - issuedAt);
            const code = String(response.statusCode ?? 0);
            statusCodes[code] = (statusCodes[code] ?? 0) + 1;
            settle();
          });
        },
      );
      outgoing.on('error', () => {
        errors += 1;
        settle();
      });
      outgoing.end(body);
    };
    // Every millisecond (or as soon as the event loop gets to it), issue what is due by now.
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      while (issued < due) {
        issued += 1;
        fire();
      }
      if (issued < total) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();

  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    latencyMs: { p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1] ?? 0 },
    statusCodes,
    errors,
    timeouts: 0,
  };
}
