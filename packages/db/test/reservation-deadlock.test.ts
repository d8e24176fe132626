import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows, reserveRuns } from '../src';
import { makeUser, useTestDb } from './fixtures';
import { runOf } from './reservation-helpers';

const handle = useTestDb();

// PostgreSQL may pick a reservation statement as a deadlock's victim (three team statements queued on
// one counter row did, in CI). The statement is atomic: nothing of it was applied, so the group is
// decided again at once instead of failing every caller with a 503 to send the same runs again.
describe('a reservation statement chosen as a deadlock victim', () => {
  it('is decided again: the runs are reserved once, the counter counts them once', async () => {
    const { db } = handle;
    const { owner } = await makeUser(db);
    // The first ledger insert of this account fails as PostgreSQL's deadlock victim does (40P01); a
    // sequence, which a rollback doesn't undo, makes it the first only.
    await db.execute(sql.raw('create sequence zz_victims'));
    await db.execute(
      sql.raw(`create function zz_deadlock_once() returns trigger language plpgsql as $$
        begin
          if new.account_id = '${owner.accountId}' and nextval('zz_victims') = 1 then
            raise exception 'deadlock detected' using errcode = '40P01';
          end if;
          return new;
        end $$`),
    );
    await db.execute(
      sql.raw(`create trigger zz_deadlock_once before insert on usage_ledger
        for each row execute function zz_deadlock_once()`),
    );
    try {
      const answers = await reserveRuns(db, [runOf(owner, 'a', 10), runOf(owner, 'b', 10)]);
      expect(answers.map((answer) => answer.outcome)).toEqual(['reserved', 'reserved']);
      const [books] = await queryRows<{ used: number; victims: number; ledger: number }>(
        db,
        sql`select p.used, (select last_value from zz_victims)::int as victims,
              (select count(*)::int from usage_ledger l where l.account_id = p.account_id) as ledger
            from usage_periods p where p.account_id = ${owner.accountId}`,
      );
      expect(books).toEqual({ used: 2, victims: 3, ledger: 2 });
    } finally {
      await db.execute(sql.raw('drop trigger zz_deadlock_once on usage_ledger'));
    }
  });
});
