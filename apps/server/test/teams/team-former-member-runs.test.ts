import { randomUUID } from 'node:crypto';
import { queryRows, updateSubscription } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request, trpc, type Tokens } from '../support/http';
import { registerVerifiedUser, startTestServer, type TestServer } from '../support/test-server';
import {
  addMembers,
  createTeam,
  givePool,
  makeUser,
  platformKey,
  teamCounters,
  type Member,
} from './team-support';

// A member who leaves (or is removed) while a run of theirs is in flight: the service that reserved
// the run can still settle and release it, naming that member (a start, where work begins, still needs
// a current member). Before, the membership check
// answered 404 ACCOUNT_NOT_FOUND, so the overrun went uncharged (the sweeper settled the run at its
// estimate a day later) and a released run's units stayed held until the start sweeper.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());
beforeEach(async () => {
  await server.testDb.reset();
  server.clock.reset();
});

const RUN_SCOPES = ['runs:authorize', 'runs:release', 'runs:settle'] as const;
const DAY = 86_400_000;

// Bodies are read loosely: the documented schemas are checked in rest-usage.test.ts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function api<T = any>(path: string, token: string, body: Record<string, unknown>) {
  return request<T>(server.url, 'POST', `/api/v1${path}`, { token, body });
}

interface Team {
  owner: Tokens;
  teamId: string;
  member: Member;
  /** A platform key (runs:authorize, release, settle): reserves the member's runs. */
  key: string;
}

async function team(pool = 100): Promise<Team> {
  const owner = await registerVerifiedUser(server);
  const teamId = await createTeam(server, owner);
  await givePool(server, teamId, pool);
  const [member] = await addMembers(server, teamId, 1);
  if (!member) throw new Error('no member');
  const key = await platformKey(server, [...RUN_SCOPES]);
  return { owner, teamId, member, key };
}

async function capMember(t: Team, monthlyRunCap: number) {
  const capped = await trpc(
    server.url,
    'mutation',
    'accounts.setMemberCap',
    { accountId: t.teamId, userId: t.member.id, monthlyRunCap },
    t.owner.accessToken,
  );
  expect(capped.status, JSON.stringify(capped.error)).toBe(200);
}

async function reserve(t: Team, runId: string, estimate: number, start: boolean) {
  const body = { accountId: t.teamId, userId: t.member.id, runId };
  const reserved = await api('/usage/authorize', t.key, { ...body, estimate });
  expect(reserved.status, JSON.stringify(reserved.body)).toBe(200);
  if (!start) return;
  const started = await api('/usage/start', t.key, body);
  expect(started.status, JSON.stringify(started.body)).toBe(200);
}

async function leave(t: Team) {
  const left = await trpc(
    server.url,
    'mutation',
    'accounts.leave',
    { accountId: t.teamId },
    t.member.accessToken,
  );
  expect(left.status, JSON.stringify(left.error)).toBe(200);
}

async function removeMember(t: Team) {
  const removed = await trpc(
    server.url,
    'mutation',
    'accounts.removeMember',
    { accountId: t.teamId, userId: t.member.id },
    t.owner.accessToken,
  );
  expect(removed.status, JSON.stringify(removed.error)).toBe(200);
}

async function ledgerRow(accountId: string, runId: string) {
  const [row] = await queryRows<{
    state: string;
    user_id: string;
    units_reserved: number;
    units_settled: number | null;
  }>(
    server.testDb.db,
    sql`select state, user_id, units_reserved, units_settled from usage_ledger
        where account_id = ${accountId} and run_id = ${runId}`,
  );
  return row;
}

describe('a run in flight when its member leaves or is removed', () => {
  it('the service settles it after the member left: the overrun is charged to the pool and to the member’s counter', async () => {
    const t = await team();
    await reserve(t, 'big', 1, true);
    await leave(t);

    const settled = await api('/usage/settle', t.key, {
      accountId: t.teamId,
      userId: t.member.id,
      runId: 'big',
      actual: 50,
    });
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(settled.body).toMatchObject({ runId: 'big', state: 'settled' });
    expect(await ledgerRow(t.teamId, 'big')).toMatchObject({
      state: 'settled',
      user_id: t.member.id,
      units_settled: 50,
    });
    const counters = await teamCounters(server, t.teamId);
    expect(counters.poolUsed).toBe(50);
    expect(counters.counterByMember.get(t.member.id)).toBe(50);
    // Again with the same actual: the stored answer, nothing charged twice.
    const again = await api('/usage/settle', t.key, {
      accountId: t.teamId,
      userId: t.member.id,
      runId: 'big',
      actual: 50,
    });
    expect([again.status, again.body?.isReplay]).toEqual([200, true]);
    expect((await teamCounters(server, t.teamId)).poolUsed).toBe(50);
  });

  it('a capped member can’t escape its cap by leaving: the overrun is charged up to the cap', async () => {
    const t = await team();
    await capMember(t, 5);
    await reserve(t, 'long', 1, true);
    await removeMember(t);
    const settled = await api('/usage/settle', t.key, {
      accountId: t.teamId,
      userId: t.member.id,
      runId: 'long',
      actual: 50,
    });
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    expect(await ledgerRow(t.teamId, 'long')).toMatchObject({ state: 'settled', units_settled: 5 });
    const counters = await teamCounters(server, t.teamId);
    expect([counters.poolUsed, counters.counterByMember.get(t.member.id)]).toEqual([5, 5]);
  });

  it('the cap holds after a renewal too: the new period’s counter gets the cap saved at removal', async () => {
    const t = await team();
    await capMember(t, 5);
    await reserve(t, 'across', 1, true);
    await removeMember(t);
    // The period renews before the run is settled: the overrun is drawn in the new period, whose
    // member counter row is made now, for a user who is no longer a member.
    const start = new Date(server.deps.now().getTime() + 29 * DAY);
    await updateSubscription(server.testDb.db, t.teamId, {
      currentPeriodStart: start,
      currentPeriodEnd: new Date(start.getTime() + 30 * DAY),
    });
    server.clock.advance(30 * DAY);
    const settled = await api('/usage/settle', t.key, {
      accountId: t.teamId,
      userId: t.member.id,
      runId: 'across',
      actual: 50,
    });
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);
    // What a current member is charged (5 in each period), not 50: before, the new period's counter
    // row took its cap from the membership alone, and a former member had none.
    expect(settled.body).toMatchObject({ charged: 10 });
    expect((await teamCounters(server, t.teamId)).poolUsed).toBe(10);
  });

  it('the service releases a reserved run of a removed member: its units come back at once', async () => {
    const t = await team();
    await reserve(t, 'never-started', 10, false);
    expect((await teamCounters(server, t.teamId)).poolUsed).toBe(10);
    await removeMember(t);

    const released = await api('/usage/release', t.key, {
      accountId: t.teamId,
      userId: t.member.id,
      runId: 'never-started',
    });
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    expect(released.body).toMatchObject({ released: true, isReplay: false });
    expect(await ledgerRow(t.teamId, 'never-started')).toMatchObject({ state: 'released' });
    const counters = await teamCounters(server, t.teamId);
    expect([counters.poolUsed, counters.counterByMember.get(t.member.id)]).toEqual([0, 0]);
  });

  it('no work begins for a member who left: the start is refused, the service releases the run', async () => {
    const t = await team();
    await reserve(t, 'reserved-only', 2, false);
    await leave(t);
    const ref = { accountId: t.teamId, userId: t.member.id, runId: 'reserved-only' };
    const started = await trpc(server.url, 'mutation', 'usage.start', ref, t.key);
    expect(started.status, JSON.stringify(started.error)).toBe(404);
    const released = await trpc(server.url, 'mutation', 'usage.release', ref, t.key);
    expect(released.status, JSON.stringify(released.error)).toBe(200);
    expect(await ledgerRow(t.teamId, 'reserved-only')).toMatchObject({ state: 'released' });
    expect((await teamCounters(server, t.teamId)).poolUsed).toBe(0);
  });

  it('nothing else is widened: no new run for the former member, no other account’s key, no other user, no own token', async () => {
    const t = await team();
    await reserve(t, 'held', 1, true);
    await reserve(t, 'held-reserved', 4, false);
    await removeMember(t);
    const poolBefore = (await teamCounters(server, t.teamId)).poolUsed;

    // A new charge still needs a current member.
    const fresh = await api('/usage/authorize', t.key, {
      accountId: t.teamId,
      userId: t.member.id,
      runId: 'after-removal',
    });
    expect([fresh.status, fresh.body?.error?.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);

    // Another team's account key: its own account only, naming this one or not.
    const other = await registerVerifiedUser(server);
    const otherTeam = await createTeam(server, other, 'Other team');
    const otherKey = await trpc<{ key: string }>(
      server.url,
      'mutation',
      'accounts.createApiKey',
      { accountId: otherTeam, name: 'other backend', scopes: [...RUN_SCOPES] },
      other.accessToken,
    );
    expect(otherKey.status, JSON.stringify(otherKey.error)).toBe(200);
    const foreignKey = otherKey.data?.key ?? '';
    for (const [path, extra] of [
      ['/usage/settle', { runId: 'held', actual: 50 }],
      ['/usage/release', { runId: 'held-reserved' }],
      ['/usage/start', { runId: 'held-reserved' }],
    ] as const) {
      const named = await api(path, foreignKey, { accountId: t.teamId, userId: t.member.id, ...extra });
      expect(named.status, `${path} naming the team`).toBe(403);
      const own = await api(path, foreignKey, { userId: t.member.id, ...extra });
      expect([own.status, own.body?.error?.code], `${path} on its own account`).toEqual([
        404,
        'ACCOUNT_NOT_FOUND',
      ]);
    }

    // A platform key naming someone who isn't the run's member, nor a member: 404 as before.
    const stranger = await makeUser(server, 'stranger');
    const strangerSettle = await api('/usage/settle', t.key, {
      accountId: t.teamId,
      userId: stranger.id,
      runId: 'held',
      actual: 50,
    });
    expect([strangerSettle.status, strangerSettle.body?.error?.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    // Another platform key than the one that reserved: the run's member named, still refused.
    const otherPlatformKey = await platformKey(server, [...RUN_SCOPES]);
    const notReserver = await api('/usage/settle', otherPlatformKey, {
      accountId: t.teamId,
      userId: t.member.id,
      runId: 'held',
      actual: 50,
    });
    expect(notReserver.status).toBe(403);
    // The former member's own token: not a member, so no start; settle and release are a service's.
    const headers = { 'x-tollgate-account': t.teamId };
    const ownStart = await trpc(
      server.url,
      'mutation',
      'usage.start',
      { runId: 'held-reserved' },
      t.member.accessToken,
      headers,
    );
    expect([ownStart.status, ownStart.error?.data.appCode]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    for (const [path, input] of [
      ['usage.settle', { runId: 'held', actual: 50 }],
      ['usage.release', { runId: 'held-reserved' }],
    ] as const) {
      const own = await trpc(server.url, 'mutation', path, input, t.member.accessToken, headers);
      expect(own.status, path).toBe(403);
    }

    expect(await ledgerRow(t.teamId, 'held')).toMatchObject({ state: 'started', units_settled: null });
    expect(await ledgerRow(t.teamId, 'held-reserved')).toMatchObject({ state: 'reserved' });
    expect((await teamCounters(server, t.teamId)).poolUsed).toBe(poolBefore);
    // An unknown run id for the former member: the same 404 as for any non-member.
    const unknownRun = await api('/usage/release', t.key, {
      accountId: t.teamId,
      userId: t.member.id,
      runId: `nope-${randomUUID()}`,
    });
    expect([unknownRun.status, unknownRun.body?.error?.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
  });
});
