import { describe, expect, it } from 'vitest';
import {
  agentRuns,
  agentSessions,
  createSession,
  deleteSession,
  findRunByRunId,
  getSession,
  insertRun,
  listRuns,
  listSessions,
  updateRunStatus,
} from '../src';
import { makeUser, useTestDb } from './fixtures';

const handle = useTestDb();

const T0 = new Date('2025-03-10T12:00:00Z');
const T1 = new Date('2025-03-10T12:05:00Z');

async function twoTenantsWithASessionAndARun() {
  const alice = await makeUser(handle.db);
  const bob = await makeUser(handle.db);
  const session = await createSession(handle.db, alice.owner, 'Alice research', T0);
  const inserted = await insertRun(handle.db, {
    owner: alice.owner,
    sessionId: session.id,
    runId: 'alice-run-1',
    prompt: 'Summarize',
    now: T0,
  });
  if (inserted.outcome !== 'created') throw new Error('setup failed');
  return { alice, bob, session, run: inserted.run };
}

describe('agent sessions and runs', () => {
  it('creates, lists (newest first), gets and deletes sessions of their owner', async () => {
    const user = await makeUser(handle.db);
    const older = await createSession(handle.db, user.owner, 'First', T0);
    const newer = await createSession(handle.db, user.owner, 'Second', T1);
    expect((await listSessions(handle.db, user.owner)).map((s) => s.id)).toEqual([newer.id, older.id]);
    expect(await getSession(handle.db, user.owner, older.id)).toMatchObject({
      title: 'First',
      createdAt: T0,
    });
    expect(await deleteSession(handle.db, user.owner, older.id)).toBe(true);
    expect(await deleteSession(handle.db, user.owner, older.id)).toBe(false);
    expect(await getSession(handle.db, user.owner, older.id)).toBeNull();
  });

  it('records runs with their status and reply; a repeated run id returns the existing run', async () => {
    const { alice, session, run } = await twoTenantsWithASessionAndARun();
    expect(run).toMatchObject({
      accountId: alice.accountId,
      userId: alice.id,
      status: 'started',
      reply: null,
      finishedAt: null,
      sessionId: session.id,
    });
    expect(session).toMatchObject({ accountId: alice.accountId, userId: alice.id });
    const again = await insertRun(handle.db, {
      owner: alice.owner,
      sessionId: session.id,
      runId: 'alice-run-1',
      prompt: 'Summarize (retried)',
    });
    expect(again).toEqual({ outcome: 'duplicate', run });
    const done = await updateRunStatus(handle.db, alice.owner, 'alice-run-1', {
      status: 'completed',
      reply: 'Done.',
      now: T1,
    });
    expect(done).toMatchObject({ status: 'completed', reply: 'Done.', finishedAt: T1 });
    await insertRun(handle.db, {
      owner: alice.owner,
      sessionId: session.id,
      runId: 'alice-run-2',
      prompt: 'More',
      now: T1,
    });
    expect((await listRuns(handle.db, alice.owner, session.id)).map((r) => r.runId)).toEqual([
      'alice-run-1',
      'alice-run-2',
    ]);
  });

  it("adding a run bumps the session's updatedAt (never backwards; a repeated run id changes nothing)", async () => {
    const user = await makeUser(handle.db);
    const session = await createSession(handle.db, user.owner, 'Research', T0);
    const other = await createSession(handle.db, user.owner, 'Other', T0);
    const T2 = new Date('2025-03-10T12:10:00Z');
    await insertRun(handle.db, {
      owner: user.owner,
      sessionId: session.id,
      runId: 'r1',
      prompt: 'p',
      now: T1,
    });
    expect((await getSession(handle.db, user.owner, session.id))?.updatedAt).toEqual(T1);
    await insertRun(handle.db, {
      owner: user.owner,
      sessionId: session.id,
      runId: 'r2',
      prompt: 'p',
      now: T2,
    });
    expect((await getSession(handle.db, user.owner, session.id))?.updatedAt).toEqual(T2);
    // A retried run id (duplicate) and a run stamped earlier than the last activity leave it as is.
    await insertRun(handle.db, {
      owner: user.owner,
      sessionId: session.id,
      runId: 'r1',
      prompt: 'p',
      now: T2,
    });
    await insertRun(handle.db, {
      owner: user.owner,
      sessionId: session.id,
      runId: 'r0',
      prompt: 'p',
      now: T0,
    });
    expect((await getSession(handle.db, user.owner, session.id))?.updatedAt).toEqual(T2);
    // Only the run's own session moves.
    expect((await getSession(handle.db, user.owner, other.id))?.updatedAt).toEqual(T0);
    expect((await listSessions(handle.db, user.owner)).find((s) => s.id === session.id)?.updatedAt).toEqual(
      T2,
    );
  });

  it('deleting a session hides it from its owner but keeps its runs (a run id is never free again)', async () => {
    const { alice, session } = await twoTenantsWithASessionAndARun();
    expect(await deleteSession(handle.db, alice.owner, session.id)).toBe(true);
    expect(await getSession(handle.db, alice.owner, session.id)).toBeNull();
    expect(await listSessions(handle.db, alice.owner)).toEqual([]);
    expect(await deleteSession(handle.db, alice.owner, session.id)).toBe(false);
    expect(await findRunByRunId(handle.db, alice.owner, 'alice-run-1')).not.toBeNull();
    // No new run can be recorded in a deleted session.
    expect(
      await insertRun(handle.db, { owner: alice.owner, sessionId: session.id, runId: 'late', prompt: 'p' }),
    ).toEqual({ outcome: 'session_not_found' });
  });

  it('junk ids are simply not found', async () => {
    const user = await makeUser(handle.db);
    expect(await getSession(handle.db, user.owner, 'not-a-uuid')).toBeNull();
    expect(await deleteSession(handle.db, user.owner, "1' or '1'='1")).toBe(false);
    expect(await listRuns(handle.db, user.owner, '')).toEqual([]);
    expect(
      await insertRun(handle.db, { owner: user.owner, sessionId: 'nope', runId: 'r', prompt: 'p' }),
    ).toEqual({
      outcome: 'session_not_found',
    });
  });
});

describe("tenant isolation: account B with account A's ids gets nothing and changes nothing", () => {
  it('every session and run function', async () => {
    const { alice, bob, session, run } = await twoTenantsWithASessionAndARun();
    const sessionsBefore = await handle.db.select().from(agentSessions);
    const runsBefore = await handle.db.select().from(agentRuns);

    // Bob in his own personal account; and, since sessions are private to their member, neither Bob
    // naming Alice's account nor Alice's user id under Bob's account reaches Alice's session.
    const intruders = [
      bob.owner,
      { accountId: alice.accountId, userId: bob.id },
      { accountId: bob.accountId, userId: alice.id },
    ];
    for (const intruder of intruders) {
      const label = JSON.stringify(intruder);
      expect(await listSessions(handle.db, intruder), label).toEqual([]);
      expect(await getSession(handle.db, intruder, session.id), label).toBeNull();
      expect(await deleteSession(handle.db, intruder, session.id), label).toBe(false);
      expect(await listRuns(handle.db, intruder, session.id), label).toEqual([]);
      expect(await findRunByRunId(handle.db, intruder, run.runId), label).toBeNull();
      expect(
        await updateRunStatus(handle.db, intruder, run.runId, { status: 'failed', reply: 'hijacked' }),
        label,
      ).toBeNull();
      expect(
        await insertRun(handle.db, {
          owner: intruder,
          sessionId: session.id,
          runId: 'bob-run',
          prompt: 'inject',
        }),
        label,
      ).toEqual({ outcome: 'session_not_found' });
    }

    expect(await handle.db.select().from(agentSessions)).toEqual(sessionsBefore);
    expect(await handle.db.select().from(agentRuns)).toEqual(runsBefore);
    expect(await getSession(handle.db, alice.owner, session.id)).not.toBeNull();
  });

  it('the same run id in two tenants is two different runs', async () => {
    const { bob, run } = await twoTenantsWithASessionAndARun();
    const bobSession = await createSession(handle.db, bob.owner, 'Bob', T0);
    const bobRun = await insertRun(handle.db, {
      owner: bob.owner,
      sessionId: bobSession.id,
      runId: run.runId,
      prompt: 'Bob prompt',
    });
    expect(bobRun.outcome).toBe('created');
  });
});
