import { queryRows, type Database } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { runClosedLoop, type LoopResult } from './closed-loop';
import { seedTenants } from './tenants';

export interface PgbenchFigures {
  updateAcrossTenants: LoopResult;
  ledgerInsertAndUpdate: LoopResult;
  hotRow: LoopResult;
}

const CLIENTS = 8;
const NO_LIMIT = 2_000_000_000;

/**
 * The issue's pgbench scripts, replayed through the server's own driver (drizzle over node-postgres,
 * the same pool size) with 8 clients: the ceiling a one-transaction-per-run design can reach here.
 */
export async function measurePgbenchEquivalents(db: Database, durationMs: number): Promise<PgbenchFigures> {
  const tenants = await seedTenants(db, 'pgb', 1000, NO_LIMIT);
  const periods = await queryRows<{ id: string; account_id: string; user_id: string }>(
    db,
    sql`
      insert into usage_periods (account_id, period_start, period_end, run_limit)
      select personal_account_id(id), now() - interval '1 day', now() + interval '29 days', ${NO_LIMIT}
      from unnest(${sql.param(tenants)}::text[]) as t(id)
      returning id, account_id, (select personal_user_id from accounts where accounts.id = account_id) as user_id`,
  );
  const pick = (n: number) => periods[(n * 7919) % periods.length] ?? { id: '', account_id: '', user_id: '' };
  const options = { concurrency: CLIENTS, durationMs, warmupMs: 300 };

  const updateAcrossTenants = await runClosedLoop(
    (n) =>
      db.execute(
        sql`update usage_periods set used = used + 1
            where account_id = ${pick(n).account_id} and id = ${pick(n).id} and used < ${NO_LIMIT}`,
      ),
    options,
  );
  const ledgerInsertAndUpdate = await runClosedLoop(
    (n) =>
      db.transaction(async (tx) => {
        const period = pick(n);
        await tx.execute(
          sql`insert into usage_ledger
                (account_id, user_id, run_id, period_id, state, actor_kind, actor_id, fingerprint)
              values (${period.account_id}, ${period.user_id}, ${`pgb-${n}`}, ${period.id}, 'reserved', 'service',
                'pgb', 'pgb')`,
        );
        await tx.execute(
          sql`update usage_periods set used = used + 1
              where account_id = ${period.account_id} and id = ${period.id} and used < ${NO_LIMIT}`,
        );
      }),
    options,
  );
  const hot = pick(0);
  const hotRow = await runClosedLoop(
    () =>
      db.execute(
        sql`update usage_periods set used = used + 1
            where account_id = ${hot.account_id} and id = ${hot.id} and used < ${NO_LIMIT}`,
      ),
    options,
  );
  return { updateAcrossTenants, ledgerInsertAndUpdate, hotRow };
}
