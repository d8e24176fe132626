/**
 * `pnpm --filter @tollgate/bench bench:peer`: only the Redis Lua peer figure of the full bench — Tollgate's
 * grouped service authorize and Autumn's design (one Lua script per run) on the same 1,000 tenants with
 * the same 512 callers, back to back in each of 3 rounds, the median of Tollgate grouped ÷ Redis Lua,
 * and the exactness of both. Prints the RESULTS.md rows; the full `pnpm bench` writes the file.
 */
import { runBenchScript, withScratchDatabase } from './bench-script';
import { inRounds, ROUNDS } from './median';
import { openRedisPeer } from './redis-lua-authorize';
import { peerResultOf } from './redis-lua-exactness';
import { rowLine } from './report-format';
import { peerDetail, peerExactnessLines, peerRow, type PeerResult, type PeerRound } from './report-peer';
import { startBenchServer } from './servers';
import { measureAuthorize } from './service-authorize';
import { seedTenants, usageTotals } from './tenants';

const NO_LIMIT = 1_000_000_000;
const LOAD = { concurrency: 512, durationMs: Number(process.env.BENCH_DURATION_MS ?? 4000) };

async function main(): Promise<void> {
  await withScratchDatabase(async (handle) => {
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
      const result = await peerResultOf(peer);
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
  });
}

runBenchScript(main);
