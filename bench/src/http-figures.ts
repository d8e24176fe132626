/**
 * `pnpm --filter @tollgate/bench bench:http`: only the HTTP figures of the full bench — authorize over
 * tRPC and REST beside the bare JSON route and the bare authenticated routes (3 rounds, medians), the
 * metered route, and the paced latency runs — against one server (startServer) on 1,000 tenants. Prints
 * the RESULTS.md rows; the full `pnpm bench` writes the file.
 */
import { runBenchScript, withScratchDatabase } from './bench-script';
import { measureHttp } from './http-authorize';
import { rowLine } from './report-format';
import { httpRows } from './report-rows';
import { startBenchServer } from './servers';
import { settleDatabase } from './settle';
import { seedTenants } from './tenants';

const NO_LIMIT = 1_000_000_000;

async function main(): Promise<void> {
  await withScratchDatabase(async (handle) => {
    const server = await startBenchServer(handle, { batchWindowMs: 2 });
    try {
      const tenants = await seedTenants(handle.db, 'http', 1000, NO_LIMIT);
      await settleDatabase(handle.db);
      const http = await measureHttp(server, handle.db, tenants, 4);
      process.stdout.write(`${httpRows(http).map(rowLine).join('\n')}\n`);
    } finally {
      await server.close();
    }
  });
}

runBenchScript(main);
