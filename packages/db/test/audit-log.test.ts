import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { appendAudit, changeAccountOverrides, getSubscriptionStates, listAudit, queryRows } from '../src';
import { makeUser, useTestDb } from './fixtures';

const handle = useTestDb();
const NOW = new Date('2025-03-10T12:00:00Z');
const AUDIT = {
  actorUserId: 'op-1',
  actorRole: 'operator',
  action: 'set_run_limit',
  reason: 'deal',
  requestId: 'req-1',
  at: NOW,
};

describe('operator_audit_log is append-only in the database', () => {
  it('INSERT works; UPDATE, DELETE and TRUNCATE are refused, whoever asks', async () => {
    await appendAudit(handle.db, { ...AUDIT, accountId: null, before: null, after: { a: 1 } });
    const refused = async (statement: string) =>
      handle.db.execute(sql.raw(statement)).then(
        () => 'done',
        (error: unknown) => String((error as { cause?: unknown }).cause ?? error),
      );
    expect(await refused(`update operator_audit_log set reason = 'rewritten'`)).toMatch(
      /append-only: UPDATE refused/,
    );
    expect(await refused(`delete from operator_audit_log`)).toMatch(/append-only: DELETE refused/);
    expect(await refused(`truncate operator_audit_log`)).toMatch(/append-only: TRUNCATE refused/);
    const rows = await queryRows<{ reason: string }>(handle.db, sql`select reason from operator_audit_log`);
    expect(rows).toEqual([{ reason: 'deal' }]);
  });
});

describe('account overrides', () => {
  it('a change is applied and audited in one go: one row with before and after, and the state carries it', async () => {
    const user = await makeUser(handle.db);
    const first = await handle.db.transaction((tx) =>
      changeAccountOverrides(tx, { accountId: user.accountId, change: { runLimit: 500 }, audit: AUDIT }),
    );
    expect(first.before).toMatchObject({ runLimit: null, compPlan: null });
    expect(first.after).toMatchObject({ runLimit: 500 });
    const comp = { plan: 'PRO' as const, from: NOW, until: new Date('2025-06-01T00:00:00Z') };
    await handle.db.transaction((tx) =>
      changeAccountOverrides(tx, {
        accountId: user.accountId,
        change: { comp },
        audit: { ...AUDIT, action: 'comp' },
      }),
    );
    const rows = await listAudit(handle.db, { accountId: user.accountId });
    expect(rows.map((row) => [row.action, row.before, row.after])).toEqual([
      [
        'comp',
        expect.objectContaining({ runLimit: 500, compPlan: null }),
        expect.objectContaining({ runLimit: 500, compPlan: 'PRO', compUntil: '2025-06-01T00:00:00.000Z' }),
      ],
      [
        'set_run_limit',
        expect.objectContaining({ runLimit: null }),
        expect.objectContaining({ runLimit: 500 }),
      ],
    ]);
    const state = (await getSubscriptionStates(handle.db, [user.accountId])).get(user.accountId);
    expect(state?.overrides).toEqual({
      runLimit: 500,
      compPlan: 'PRO',
      compFrom: NOW,
      compUntil: comp.until,
      trialStart: null,
      trialEnd: null,
    });
  });

  it('a change that breaks a rule (a comp ending before it starts) stores nothing, not even its audit row', async () => {
    const user = await makeUser(handle.db);
    const bad = { plan: 'PRO' as const, from: NOW, until: new Date('2025-01-01T00:00:00Z') };
    await expect(
      handle.db.transaction((tx) =>
        changeAccountOverrides(tx, { accountId: user.accountId, change: { comp: bad }, audit: AUDIT }),
      ),
    ).rejects.toThrow();
    expect(await listAudit(handle.db, { accountId: user.accountId })).toEqual([]);
  });
});
