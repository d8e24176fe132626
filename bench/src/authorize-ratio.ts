/**
 * `pnpm --filter @tollgate/bench bench:authorize`: only the service-level authorize figures of the
 * full bench (grouped commits vs one transaction per run, same run, same pool), for 1,000 personal
 * accounts, one hot account, and one team account of 50 members (10 of them capped), with the
 * exactness of each. Prints the ratios; the full `pnpm bench` writes RESULTS.md.
 */
import { createDb } from '@tollgate/db';
import { createScratchDatabase } from '@tollgate/db/testing';
import { startBenchServer } from './servers';
import { measureAuthorize, type AuthorizeRun } from './service-authorize';
import { seedTeam, seedTenants, usageTotals } from './tenants';
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
  const scratch = await createScratchDatabase(
    process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const handle = await createDb({ databaseUrl: scratch.url });
  try {
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
    const load = { concurrency: CONCURRENCY, durationMs: DURATION_MS };
    const cases = [
      ['1,000 tenants', tenants, 'ts', 'tb'],
      ['hot tenant', hot, 'hs', 'hb'],
      ['team of 50 members (10 capped)', team, 'ms', 'mb'],
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
        `team members: counters ≠ ledger ${members?.mismatched ?? -1}, over cap ${members?.over_cap ?? -1}\n`,
    );
    await batchedServer.close();
    await singleServer.close();
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
