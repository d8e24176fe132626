/**
 * `pnpm --filter @tollgate/bench bench:peer`: only the Redis Lua peer figure of the full bench — Tollgate's
 * grouped service authorize and Autumn's design (one Lua script per run) on the same 1,000 tenants with
 * the same 512 callers, back to back in each of 3 rounds, the median of Tollgate grouped ÷ Redis Lua,
 * and the exactness of both. Prints the RESULTS.md rows; the full `pnpm bench` writes the file.
 */
import { createDb } from '@tollgate/db';
import { createScratchDatabase } from '@tollgate/db/testing';
import { inRounds, ROUNDS } from './median';
import { openRedisPeer } from './redis-lua-authorize';
import { checkLuaExactness } from './redis-lua-exactness';
import { rowLine } from './report-format';
import { peerDetail, peerExactnessLines, peerRow, type PeerResult, type PeerRound } from './report-peer';
import { startBenchServer } from './servers';
import { measureAuthorize } from './service-authorize';
import { seedTenants, usageTotals } from './tenants';

const NO_LIMIT = 1_000_000_000;
const LOAD = { concurrency: 512, durationMs: Number(process.env.BENCH_DURATION_MS ?? 4000) };

async function main(): Promise<void> {
  const scratch = await createScratchDatabase(
    process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const handle = await createDb({ databaseUrl: scratch.url });
  try {
    const server = await startBenchServer(handle, { batchWindowMs: 2 });
    const tenants = await seedTenants(handle.db, 'svc', 1000, NO_LIMIT);
    const peer = await openRedisPeer(tenants, NO_LIMIT);
    const ready = 'skipped' in peer ? null : peer;
    let consumed = 0;
    const measure = async (): Promise<{ rounds: PeerRound[]; result: PeerResult }> => {
      const rounds = await inRounds(ROUNDS, async (round) => {
        const grouped = await measureAuthorize(server.services, { ...LOAD, tenants, tag: `tb${round}` });
        consumed += grouped.consumed;
        const lua = ready ? await ready.measure({ ...LOAD, tag: `rl${round}` }) : null;
        return { grouped, lua };
      });
      const result: PeerResult = ready
        ? {
            url: ready.url,
            persistence: ready.persistence,
            totals: await ready.totals(),
            exactness: await checkLuaExactness(ready, 3000),
          }
        : { skipped: 'skipped' in peer ? peer.skipped : '' };
      return { rounds, result };
    };
    const { rounds, result } = await measure().finally(() => ready?.close());
    const totals = await usageTotals(handle.db, 'svc');
    const isTollgateExact = totals.used === consumed && totals.ledger === consumed && totals.mismatched === 0;
    const lines = [
      rowLine(peerRow(rounds, result)),
      ...peerExactnessLines(result),
      `${isTollgateExact ? '**PASS**' : '**FAIL**'} Tollgate grouped runs: ${consumed} consumed answers = ${totals.ledger} ledger rows = ${totals.used} counted (${totals.mismatched} periods where counter ≠ ledger).`,
      peerDetail(rounds, result),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await server.close();
  } finally {
    await handle.close();
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
