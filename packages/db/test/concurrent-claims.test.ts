import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDb, queryRows, reserveRuns, type Database } from '../src';
import { createScratchDatabase, testPostgresServerUrl } from '../src/testing';
import { grant } from './credit-helpers';
import { makeUser } from './fixtures';
import { setSpend } from './overage-helpers';
import { runOf, type RunOwner } from './reservation-helpers';
import { scratchPool } from './scratch-pool';

// A run id claimed by another statement after this one's snapshot (a client's retry racing its first
// call on another server): its units are already in the counter this statement locks, so it must take
// no place in this statement's running sum, or every later run of its period draws past the allowance
// too early: a pack unit or billed overage while the allowance still had room. Real PostgreSQL only
// (two connections; PGlite has one).

const serverUrl = testPostgresServerUrl();

/**
 * 5 of 7 runs used; another "process" claims run x (its transaction holding the period's lock) while
 * this one sends x again and a new run y, then commits. Answers this statement's outcomes.
 */
async function retryRacingItsClaim(db: Database, url: string, owner: RunOwner, overagePrice?: string) {
  const other = scratchPool(url, 1);
  try {
    const holder = await other.connect();
    await holder.query('begin');
    await holder.query(`select used from usage_periods where account_id = $1 for no key update`, [
      owner.accountId,
    ]);
    await holder.query(
      `insert into usage_ledger (account_id, user_id, run_id, period_id, state, units_reserved,
         units_from_allowance, actor_kind, actor_id, fingerprint)
       select $1, $2, 'x', p.id, 'reserved', 1, 1, 'service', 'key-1', 'fp:x' from usage_periods p
       where p.account_id = $1`,
      [owner.accountId, owner.userId],
    );
    await holder.query(`update usage_periods set used = used + 1 where account_id = $1`, [owner.accountId]);
    const pending = reserveRuns(db, [
      runOf(owner, 'x', 7, { overagePrice }),
      runOf(owner, 'y', 7, { overagePrice }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await holder.query('commit');
    holder.release();
    return (await pending).map((answer) => answer.outcome);
  } finally {
    await other.end();
  }
}

async function withScratch(test: (db: Database, url: string) => Promise<void>) {
  if (!serverUrl) throw new Error('needs PostgreSQL');
  const scratch = await createScratchDatabase(serverUrl);
  const handle = await createDb({ databaseUrl: scratch.url, poolSize: 2 });
  try {
    await test(handle.db, scratch.url);
  } finally {
    await handle.close();
    await scratch.drop();
  }
}

describe.skipIf(!serverUrl)('a run id claimed concurrently takes no place from later runs', () => {
  it('with a pack: the later run draws the allowance unit left, the pack stays whole', async () => {
    await withScratch(async (db, url) => {
      const { owner } = await makeUser(db);
      await reserveRuns(
        db,
        ['a', 'b', 'c', 'd', 'e'].map((id) => runOf(owner, id, 7)),
      );
      const pack = await grant(db, owner.accountId, 10);
      expect(await retryRacingItsClaim(db, url, owner)).toEqual(['replayed', 'reserved']);
      const [books] = await queryRows<{ used: number; remaining: number; y_allowance: number }>(
        db,
        sql`select p.used, g.remaining,
              (select units_from_allowance from usage_ledger l
               where l.account_id = p.account_id and l.run_id = 'y') as y_allowance
            from usage_periods p join credit_grants g on g.account_id = p.account_id and g.id = ${pack.id}
            where p.account_id = ${owner.accountId}`,
      );
      expect(books).toMatchObject({ used: 7, remaining: 10, y_allowance: 1 });
    });
  });

  it('with overage on: the later run is not billed as overage while the allowance had room', async () => {
    await withScratch(async (db, url) => {
      const { owner } = await makeUser(db);
      await reserveRuns(
        db,
        ['a', 'b', 'c', 'd', 'e'].map((id) => runOf(owner, id, 7)),
      );
      await setSpend(db, owner.accountId, { overageEnabled: true });
      expect(await retryRacingItsClaim(db, url, owner, '12.5')).toEqual(['replayed', 'reserved']);
      const [books] = await queryRows<{ used: number; overage_used: number }>(
        db,
        sql`select used, overage_used from usage_periods where account_id = ${owner.accountId}`,
      );
      expect(books).toMatchObject({ used: 7, overage_used: 0 });
    });
  });
});
