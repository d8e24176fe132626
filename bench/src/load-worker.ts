/**
 * The HTTP load generator, run as a child process (`node --import tsx load-worker.ts <spec.json>`) so
 * it doesn't share the server's event loop. Prints one JSON LoadResult on stdout.
 */
import { readFile } from 'node:fs/promises';
import { runPaced } from './paced-load';
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec, PreparedRequest } from './load-spec';

async function main(): Promise<void> {
  const specPath = process.argv[2];
  if (!specPath) throw new Error('usage: load-worker <spec.json>');
  const spec = JSON.parse(await readFile(specPath, 'utf8')) as LoadSpec;
  const prepared: PreparedRequest[] = spec.preparedFile
    ? (JSON.parse(await readFile(spec.preparedFile, 'utf8')) as PreparedRequest[])
    : [];
  let sent = 0;
  const tenants = spec.tenants ?? [{}];

  // Each request gets the next number: templates turn it into unique run ids; a prepared list is sent
  // once, in order, spread over all connections.
  function nextRequest(): PreparedRequest & { path: string } {
    const i = sent;
    sent += 1;
    const fromList = prepared[i];
    if (fromList) return { path: spec.path, ...fromList };
    const tenant = tenants[i % tenants.length] ?? {};
    const fill = (text: string) =>
      text.replace(/\{(\w+)\}/g, (_, key: string) =>
        key === 'i' ? `${spec.runPrefix ?? ''}${i}` : (tenant[key] ?? ''),
      );
    const headers = Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, v]) => [k, fill(v)]));
    return { path: fill(spec.path), headers, ...(spec.body === undefined ? {} : { body: fill(spec.body) }) };
  }

  if (spec.pacedRate) {
    const paced = await runPaced(spec, spec.pacedRate, nextRequest);
    process.stdout.write(`${JSON.stringify(paced)}\n`);
    return;
  }

  const result = await autocannon({
    url: spec.baseUrl,
    connections: spec.connections,
    pipelining: 1,
    ...(spec.durationSeconds ? { duration: spec.durationSeconds } : {}),
    // A fixed number of requests ends at the first sample tick after the last answer: with the default
    // 1 s between samples, the webhook figures were 3,000 events ÷ 9, 10 or 11 s, up to a second long.
    ...(spec.amount ? { amount: spec.amount, sampleInt: 50 } : {}),
    requests: [
      {
        method: spec.method,
        setupRequest: (request) => {
          const next = nextRequest();
          return { ...request, method: spec.method, ...next };
        },
      },
    ],
  });

  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = (stats as { count: number }).count;
  }
  // From its start and finish times (ms), not `duration`: that is whole seconds, which turned a run of
  // a fixed number of requests (the webhook figures) into 600 ÷ 5 or 600 ÷ 6.
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000 || result.duration;
  const output: LoadResult = {
    requests: result.requests.total,
    seconds,
    perSecond: result.requests.total / seconds,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
