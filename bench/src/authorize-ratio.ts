/**
 * `pnpm --filter @tollgate/bench bench:authorize`: only the service-level authorize figures of the
 * full bench (grouped commits vs one transaction per run, same run, same pool), for 1,000 personal
 * accounts, one hot account, and one team account of 50 members (10 of them capped), with the
 * exactness of each. Prints the ratios; the full `pnpm bench` writes RESULTS.md.
 */
import { runBenchScript, withScratchDatabase } from './bench-script';
import { startBenchServer } from './servers';
import { measureAuthorize, type AuthorizeRun } from './service-authorize';
import { seedPacks, seedTeam, seedTenants, usageTotals } from './tenants';
import { queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';

const NO_LIMIT = 1_000_000_000;
const CONCURRENCY = 512;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);

function line(name: string, single: AuthorizeRun, batched: AuthorizeRun): string {
  const ratio = batched.perSecond / single.perSecond;
  return (
    `${name}: grouped ${batched.perSecond.toFixed(0)}/s (mean ${batched.meanBatch?.toFixed(0) ?? '–'} runs per commit) ` +
    `vs one transaction per run ${single.perSecond.toFixed(0)}/s = ${ratio.toFixed(1)}×`
  );
}

async function main(): Promise<void> {
  await withScratchDatabase(async (handle) => {
    const batchedServer = await startBenchServer(handle, { batchWindowMs: 2 });
    const singleServer = await startBenchServer(handle, { batchWindowMs: 0 });
    const tenants = await seedTenants(handle.db, 'svc', 1000, NO_LIMIT);
    const hot = await seedTenants(handle.db, 'hot', 1, NO_LIMIT);
    const team = await seedTeam(handle.db, {
      prefix: 'team',
      members: 50,
      runLimit: NO_LIMIT,
      cappedMembers: 10,
      memberCap: NO_LIMIT,
    });
    // The multi-bucket path: a plan allowance of 5 runs, then two packs each (one expiring sooner).
    const buckets = await seedTenants(handle.db, 'pack', 1000, 5);
    await seedPacks(handle.db, buckets, NO_LIMIT);
    const load = { concurrency: CONCURRENCY, durationMs: DURATION_MS };
    const cases = [
      ['1,000 tenants', tenants, 'ts', 'tb'],
      ['hot tenant', hot, 'hs', 'hb'],
      ['team of 50 members (10 capped)', team, 'ms', 'mb'],
      ['1,000 tenants on allowance + two packs', buckets, 'ps', 'pb'],
    ] as const;
    for (const [name, list, singleTag, batchedTag] of cases) {
      const single = await measureAuthorize(singleServer.services, {
        ...load,
        tenants: list,
        tag: singleTag,
      });
      const batched = await measureAuthorize(batchedServer.services, {
        ...load,
        tenants: list,
        tag: batchedTag,
      });
      process.stdout.write(`${line(name, single, batched)}\n`);
    }
    const totals = { tenants: await usageTotals(handle.db, 'svc'), hot: await usageTotals(handle.db, 'hot') };
    const [books] = await queryRows<{
      unbalanced_grants: number;
      unbalanced_runs: number;
      over_allowance: number;
    }>(
      handle.db,
      sql`select
          (select count(*) from credit_grants g where g.units <> g.remaining + g.expired_units + g.clawed_back_units
            + (select coalesce(sum(d.units), 0) from run_draws d where d.account_id = g.account_id and d.grant_id = g.id))::int
            as unbalanced_grants,
          (select count(*) from usage_ledger l where l.state <> 'released' and l.units_reserved <> l.units_from_allowance
            + (select coalesce(sum(d.units), 0) from run_draws d where d.account_id = l.account_id and d.run_id = l.run_id))::int
            as unbalanced_runs,
          (select count(*) from usage_periods p where p.used > p.run_limit)::int as over_allowance`,
    );
    const [members] = await queryRows<{ mismatched: number; over_cap: number }>(
      handle.db,
      sql`select count(*) filter (where m.used <> (select count(*) from usage_ledger l
              where l.account_id = m.account_id and l.period_id = m.period_id and l.user_id = m.user_id
                and l.state <> 'released'))::int as mismatched,
            count(*) filter (where m.run_cap is not null and m.used > m.run_cap)::int as over_cap
        from member_usage_periods m`,
    );
    process.stdout.write(
      `exactness: 1,000 tenants ${JSON.stringify(totals.tenants)}, hot ${JSON.stringify(totals.hot)}, ` +
        `team members: counters ≠ ledger ${members?.mismatched ?? -1}, over cap ${members?.over_cap ?? -1}; ` +
        `buckets: grants unbalanced ${books?.unbalanced_grants ?? -1}, runs unbalanced ${books?.unbalanced_runs ?? -1}, ` +
        `allowances overdrawn ${books?.over_allowance ?? -1}\n`,
    );
    await batchedServer.close();
    await singleServer.close();
  });
}

runBenchScript(main);
