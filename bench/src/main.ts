/**
 * `pnpm bench`: run authorization, HTTP, webhooks and the web bundle against real PostgreSQL
 * (DATABASE_URL, default the local server), in a scratch database dropped at the end. Prints a table of
 * figures, each beside a baseline measured in the same run, and writes it to bench/RESULTS.md.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createDb } from '@tollgate/db';
import { benchServerUrl, runBenchScript } from './bench-script';
import { checkTwoServers } from './exactness';
import { checkLifecycleExactness } from './exactness-lifecycle';
import { checkServiceExactness } from './exactness-service';
import { measureHttp } from './http-authorize';
import { ROUNDS } from './median';
import { openRedisPeer } from './redis-lua-authorize';
import { peerResultOf } from './redis-lua-exactness';
import { currentLoad, describeMachine } from './machine';
import { measurePgbenchEquivalents } from './pgbench';
import { renderReport, type BenchResults } from './report';
import { createScratchDatabase } from '@tollgate/db/testing';
import { startBenchServer } from './servers';
import { measureServiceRounds } from './service-rounds';
import { settleDatabase } from './settle';
import { seedPacks, seedTenants, usageTotals } from './tenants';
import { measureWebSize } from './web-size';
import { measureWebhooks, WEBHOOK_EVENTS } from './webhooks';

const RESULTS_FILE = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
const NO_LIMIT = 1_000_000_000;
/** Callers kept in flight for the service-level figures (both modes alike). */
const CONCURRENCY = 512;

async function main(): Promise<void> {
  const started = performance.now();
  const serverUrl = benchServerUrl();
  const step = (name: string) =>
    process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${name}\n`);

  step('scratch database');
  const scratch = await createScratchDatabase(serverUrl);
  const handle = await createDb({ databaseUrl: scratch.url });
  const loadAtStart = currentLoad();
  try {
    const machine = await describeMachine(handle.db);

    step('pgbench-equivalent statements');
    const pgbench = await measurePgbenchEquivalents(handle.db, 3000);

    step(`service-level authorize and the Redis Lua peer (${ROUNDS} rounds)`);
    const batchedServer = await startBenchServer(handle, { batchWindowMs: 2 });
    const singleServer = await startBenchServer(handle, { batchWindowMs: 0 });
    const tenants = await seedTenants(handle.db, 'svc', 1000, NO_LIMIT);
    const hot = await seedTenants(handle.db, 'hot', 1, NO_LIMIT);
    // The multi-bucket path: a plan allowance of 5 runs, then two packs each (one expiring sooner).
    const packs = await seedTenants(handle.db, 'pack', 1000, 5);
    await seedPacks(handle.db, packs, NO_LIMIT);
    // The Redis Lua peer (issue 20) on the same 1,000 tenants, measured right after the grouped figure
    // in each round; skipped with the reason where no Redis answers.
    const peer = await openRedisPeer(tenants, NO_LIMIT);
    if ('skipped' in peer) step(`Redis Lua peer skipped: ${peer.skipped}`);
    const ready = 'skipped' in peer ? null : peer;
    await settleDatabase(handle.db);
    const rounds = async () => {
      const service = await measureServiceRounds(
        {
          single: singleServer.services,
          batched: batchedServer.services,
          tenants,
          hot,
          packs,
          peer: ready,
          load: { concurrency: CONCURRENCY, durationMs: 4000 },
        },
        ROUNDS,
      );
      const peerResult = await peerResultOf(peer);
      return { service, peerResult };
    };
    // The peer's keys are deleted even if a measurement throws: the Redis is shared.
    const { service, peerResult } = await rounds().finally(() => ready?.close());
    const serviceTotals = {
      tenants: await usageTotals(handle.db, 'svc'),
      hot: await usageTotals(handle.db, 'hot'),
    };

    step('exactness under load (service level)');
    const serviceExactness = await checkServiceExactness(batchedServer.services, handle.db, 3000);
    await singleServer.close();

    step('run lifecycle exactness (replays, concurrent starts, downgrade, sweeper)');
    const lifecycle = await checkLifecycleExactness(batchedServer.services, handle.db, scratch.url);

    step(`HTTP authorize (${ROUNDS} rounds of the ratio figures)`);
    const httpTenants = await seedTenants(handle.db, 'http', 1000, NO_LIMIT);
    await settleDatabase(handle.db);
    const http = await measureHttp(batchedServer, handle.db, httpTenants, 4);
    const httpTotals = await usageTotals(handle.db, 'http');

    step('exactness with two server processes');
    const twoServers = await checkTwoServers(scratch.url, batchedServer);
    await batchedServer.close();

    step('webhooks');
    await settleDatabase(handle.db);
    const webhooks = await measureWebhooks(handle, WEBHOOK_EVENTS);

    step('web bundle');
    const web = await measureWebSize();

    const results: BenchResults = {
      machine: { ...machine, loadAverage: `${loadAtStart} at start, ${currentLoad()} at end` },
      pgbench,
      service,
      peer: peerResult,
      serviceTotals,
      serviceExactness,
      lifecycle,
      http,
      httpTotals,
      twoServers,
      webhooks,
      web,
      seconds: (performance.now() - started) / 1000,
    };
    const report = await renderReport(results, RESULTS_FILE);
    process.stdout.write(`${report}\n`);
    await writeFile(RESULTS_FILE, report);
    step(`done; written to ${RESULTS_FILE}`);
  } finally {
    await handle.close();
    await scratch.drop();
  }
}

runBenchScript(main);
