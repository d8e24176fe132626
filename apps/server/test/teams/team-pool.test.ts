import { findLedgerEntry } from '@tollgate/db';
import { testPostgresServerUrl } from '@tollgate/db/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerUser, request, trpc } from '../support/http';
import { startTestServer, type TestServer } from '../support/test-server';
import {
  addMembers,
  authorizeFor,
  createTeam,
  givePool,
  platformKey,
  teamCounters,
  type Answer,
  type Member,
  type Transport,
} from './team-support';

// One team account, many members, one pool, everything at once over HTTP (design §3.2, §4.4 "50
// members, pool 100, concurrent"). The full size runs on PostgreSQL (real row locks, a connection
// pool); on PGlite (one connection, statements serialized) a smaller team checks the same arithmetic.
const onPostgres = testPostgresServerUrl() !== null;

interface Size {
  members: number;
  pool: number;
  perMember: number;
  capped: number;
  /** Room left in the pool after the capped wave. */
  room: number;
}
const FULL: Size = { members: 50, pool: 100, perMember: 4, capped: 10, room: 10 };
const SMALL: Size = { members: 12, pool: 24, perMember: 4, capped: 4, room: 4 };

const TRANSPORTS: Transport[] = ['service-trpc', 'member-trpc', 'service-rest', 'member-rest'];
const SERVICE_TRANSPORTS: Transport[] = ['service-trpc', 'service-rest'];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(async () => {
  await server.testDb.reset();
  server.clock.reset();
});

interface Attempt extends Answer {
  member: Member;
  runId: string;
  transport: Transport;
}

async function attemptAll(
  accountId: string,
  key: string,
  plan: Array<{ member: Member; runId: string; transport: Transport }>,
): Promise<Attempt[]> {
  return Promise.all(
    plan.map(async (p) => ({
      ...p,
      ...(await authorizeFor(server, p.transport, accountId, p.member, p.runId, key)),
    })),
  );
}

function admittedBy(attempts: Attempt[], member: Member): number {
  return attempts.filter((a) => a.member.id === member.id && a.status === 200).length;
}

function codes(attempts: Attempt[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of attempts) {
    const key = a.status === 200 ? 'admitted' : `${a.status} ${a.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function suite(size: Size, label: string) {
  const total = size.members * size.perMember;

  it(`${label}: ${size.members} members × ${size.perMember} concurrent authorizations on a pool of ${size.pool}: exactly ${size.pool} admitted, the ledger and member counters agree`, async () => {
    const owner = await registerUser(server.url);
    const teamId = await createTeam(server, owner);
    await givePool(server, teamId, size.pool);
    const members = await addMembers(server, teamId, size.members);
    const key = await platformKey(server);

    const attempts = await attemptAll(
      teamId,
      key,
      members.flatMap((member, i) =>
        Array.from({ length: size.perMember }, (_, k) => ({
          member,
          runId: `m${i}-r${k}`,
          transport: TRANSPORTS[(i + k) % TRANSPORTS.length] as Transport,
        })),
      ),
    );
    expect(codes(attempts)).toEqual({ admitted: size.pool, '402 USAGE_LIMIT_REACHED': total - size.pool });

    const counters = await teamCounters(server, teamId);
    expect(counters.poolUsed).toBe(size.pool);
    expect(counters.ledgerLive).toBe(size.pool);
    const perMember = members.map((m) => ({
      member: m.id,
      answers: admittedBy(attempts, m),
      ledger: counters.ledgerByMember.get(m.id) ?? 0,
      counter: counters.counterByMember.get(m.id) ?? 0,
    }));
    expect(perMember.filter((row) => row.answers !== row.ledger || row.answers !== row.counter)).toEqual([]);
    // Nobody else was charged (the owner sent nothing).
    expect([...counters.ledgerByMember.keys()].every((id) => members.some((m) => m.id === id))).toBe(true);

    // What the members see is the same: usage shared, each member's runs this period.
    const listed = await trpc<Array<{ userId: string; usedThisPeriod: number }>>(
      server.url,
      'query',
      'accounts.members',
      { accountId: teamId },
      members[0]?.accessToken,
    );
    expect(listed.status).toBe(200);
    for (const m of members) {
      expect(listed.data?.find((row) => row.userId === m.id)?.usedThisPeriod, m.id).toBe(
        admittedBy(attempts, m),
      );
    }
    const overview = await trpc<{ usage: { used: number; limit: number } }>(
      server.url,
      'query',
      'billing.subscription',
      { accountId: teamId, userId: members[1]?.id },
      key,
    );
    expect(overview.data?.usage).toMatchObject({ used: size.pool, limit: size.pool });
  });

  it(`${label}: caps on ${size.capped} members under concurrent load: none over its cap, MEMBER_CAP_REACHED while the pool has room, the pool still exact; a release gives the unit back to both counters once`, async () => {
    const owner = await registerUser(server.url);
    const teamId = await createTeam(server, owner);
    const uncappedCount = size.members - size.capped;
    // 1 run of the owner, 1 per capped member, 2 per uncapped member, then `room` left.
    const pool = 1 + size.capped + 2 * uncappedCount + size.room;
    await givePool(server, teamId, pool);
    const members = await addMembers(server, teamId, size.members);
    const capped = members.slice(0, size.capped);
    const uncapped = members.slice(size.capped);
    const key = await platformKey(server);
    const setCap = (member: Member, monthlyRunCap: number | null) =>
      trpc(
        server.url,
        'mutation',
        'accounts.setMemberCap',
        { accountId: teamId, userId: member.id, monthlyRunCap },
        owner.accessToken,
      );

    // Half the caps before the period's counter row exists (copied from the membership when the member
    // row is made), half after (the cap change upserts the period's member row).
    const half = Math.floor(size.capped / 2);
    for (const m of capped.slice(0, half)) expect((await setCap(m, 1)).status).toBe(200);
    const ownerRun = await trpc(
      server.url,
      'mutation',
      'usage.authorize',
      { accountId: teamId, runId: 'owner-0' },
      owner.accessToken,
    );
    expect(ownerRun.status, JSON.stringify(ownerRun.error)).toBe(200);
    for (const m of capped.slice(half)) expect((await setCap(m, 1)).status).toBe(200);

    // Wave 1: capped members ask perMember times (through the service key: it releases later), the
    // others twice. The pool has room for all of it, so only the caps refuse.
    const wave1 = await attemptAll(teamId, key, [
      ...capped.flatMap((member, i) =>
        Array.from({ length: size.perMember }, (_, k) => ({
          member,
          runId: `c${i}-r${k}`,
          transport: SERVICE_TRANSPORTS[(i + k) % 2] as Transport,
        })),
      ),
      ...uncapped.flatMap((member, i) =>
        [0, 1].map((k) => ({
          member,
          runId: `u${i}-r${k}`,
          transport: TRANSPORTS[(i + k) % 4] as Transport,
        })),
      ),
    ]);
    expect(codes(wave1)).toEqual({
      admitted: size.capped + 2 * uncappedCount,
      '402 MEMBER_CAP_REACHED': size.capped * (size.perMember - 1),
    });
    for (const m of capped) expect(admittedBy(wave1, m), m.id).toBe(1);
    // The 402 body of a member's denial carries the member's own numbers.
    expect(
      wave1.filter((a) => a.code === 'MEMBER_CAP_REACHED').every((a) => a.used === 1 && a.limit === 1),
    ).toBe(true);
    let counters = await teamCounters(server, teamId);
    expect(counters.poolUsed).toBe(pool - size.room);

    // Wave 2: everyone asks twice more; only `room` runs are left in the pool.
    const wave2 = await attemptAll(
      teamId,
      key,
      members.flatMap((member, i) =>
        [2, 3].map((k) => ({
          member,
          runId: `${i < size.capped ? 'c' : 'u'}${i < size.capped ? i : i - size.capped}-r${k + size.perMember}`,
          transport: TRANSPORTS[(i + k) % 4] as Transport,
        })),
      ),
    );
    const wave2Capped = wave2.filter((a) => capped.includes(a.member));
    const wave2Uncapped = wave2.filter((a) => uncapped.includes(a.member));
    expect(wave2Capped.filter((a) => a.status === 200)).toEqual([]);
    expect(
      wave2Capped.every(
        (a) => a.status === 402 && ['MEMBER_CAP_REACHED', 'USAGE_LIMIT_REACHED'].includes(a.code ?? ''),
      ),
    ).toBe(true);
    expect(codes(wave2Uncapped)).toEqual({
      admitted: size.room,
      '402 USAGE_LIMIT_REACHED': 2 * uncappedCount - size.room,
    });

    counters = await teamCounters(server, teamId);
    expect(counters.poolUsed).toBe(pool);
    expect(counters.ledgerLive).toBe(pool);
    const all = [...wave1, ...wave2];
    for (const m of members) {
      const admitted = admittedBy(all, m);
      expect([counters.ledgerByMember.get(m.id) ?? 0, counters.counterByMember.get(m.id) ?? 0], m.id).toEqual(
        [admitted, admitted],
      );
    }
    for (const m of capped) {
      expect(counters.counterByMember.get(m.id), m.id).toBe(1);
      expect(counters.capByMember.get(m.id), m.id).toBe(1);
    }
    expect(counters.ledgerByMember.get(owner.user.id)).toBe(1);

    // A capped member's reserved run released by the service that reserved it, four times at once: the
    // unit goes back to the pool and to the member's counter exactly once.
    const target = capped[0] as Member;
    const run = wave1.find((a) => a.member === target && a.status === 200);
    expect(run).toBeDefined();
    const releases = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        i % 2
          ? trpc(
              server.url,
              'mutation',
              'usage.release',
              { accountId: teamId, userId: target.id, runId: run?.runId },
              key,
            ).then((r) => ({ status: r.status, isReplay: r.data?.isReplay }))
          : request<{ isReplay?: boolean }>(server.url, 'POST', '/api/v1/usage/release', {
              token: key,
              body: { accountId: teamId, userId: target.id, runId: run?.runId },
            }).then((r) => ({ status: r.status, isReplay: r.body?.isReplay })),
      ),
    );
    expect(releases.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(releases.filter((r) => r.isReplay === false)).toHaveLength(1);
    counters = await teamCounters(server, teamId);
    expect(counters.poolUsed).toBe(pool - 1);
    expect(counters.counterByMember.get(target.id)).toBe(0);
    expect(counters.ledgerByMember.get(target.id) ?? 0).toBe(0);
    expect(
      (await findLedgerEntry(server.testDb.db, { accountId: teamId, runId: run?.runId ?? '' }))?.state,
    ).toBe('released');

    // The unit is usable again, once: by the member (its cap has room again) — then both are full.
    const again = await authorizeFor(server, 'member-trpc', teamId, target, 'c0-again', key);
    expect(again.status).toBe(200);
    // At its cap with the pool full: the pool's denial wins (only an upgrade helps).
    const more = await authorizeFor(server, 'member-rest', teamId, target, 'c0-more', key);
    expect(more).toMatchObject({ status: 402, code: 'USAGE_LIMIT_REACHED' });
    counters = await teamCounters(server, teamId);
    expect(counters.poolUsed).toBe(pool);
    expect(counters.counterByMember.get(target.id)).toBe(1);

    // Lifting the cap lets the member run while the pool has room (here none: USAGE_LIMIT_REACHED).
    expect((await setCap(target, null)).status).toBe(200);
    expect(await authorizeFor(server, 'service-trpc', teamId, target, 'c0-uncapped', key)).toMatchObject({
      status: 402,
      code: 'USAGE_LIMIT_REACHED',
    });
  });

  it(`${label}: one oversubscribed wave with caps binding at the same time: the pool admits exactly ${size.pool}, no capped member over its cap`, async () => {
    const owner = await registerUser(server.url);
    const teamId = await createTeam(server, owner);
    await givePool(server, teamId, size.pool);
    const members = await addMembers(server, teamId, size.members);
    const capped = members.slice(0, size.capped);
    const key = await platformKey(server);
    for (const m of capped) {
      const set = await trpc(
        server.url,
        'mutation',
        'accounts.setMemberCap',
        { accountId: teamId, userId: m.id, monthlyRunCap: 2 },
        owner.accessToken,
      );
      expect(set.status).toBe(200);
    }
    // Capped members send 6 each, the others perMember each: far more than the pool.
    const attempts = await attemptAll(
      teamId,
      key,
      members.flatMap((member, i) =>
        Array.from({ length: i < size.capped ? 6 : size.perMember }, (_, k) => ({
          member,
          runId: `w${i}-r${k}`,
          transport: TRANSPORTS[(i + k) % 4] as Transport,
        })),
      ),
    );
    expect(attempts.filter((a) => a.status === 200)).toHaveLength(size.pool);
    expect(attempts.filter((a) => a.status !== 200 && a.status !== 402)).toEqual([]);
    for (const m of capped) expect(admittedBy(attempts, m), m.id).toBeLessThanOrEqual(2);
    // Only a capped member can be told MEMBER_CAP_REACHED.
    expect(attempts.filter((a) => a.code === 'MEMBER_CAP_REACHED' && !capped.includes(a.member))).toEqual([]);
    const counters = await teamCounters(server, teamId);
    expect([counters.poolUsed, counters.ledgerLive]).toEqual([size.pool, size.pool]);
    for (const m of members) {
      const admitted = admittedBy(attempts, m);
      expect([counters.ledgerByMember.get(m.id) ?? 0, counters.counterByMember.get(m.id) ?? 0], m.id).toEqual(
        [admitted, admitted],
      );
    }
  });

  it(`${label}: runs reserved and never started are swept: each unit goes back to the pool and to its member once, even when sweeps race`, async () => {
    const owner = await registerUser(server.url);
    const teamId = await createTeam(server, owner);
    await givePool(server, teamId, size.members);
    const members = await addMembers(server, teamId, size.members);
    const capped = members.slice(0, size.capped);
    const key = await platformKey(server);
    for (const m of capped) {
      await trpc(
        server.url,
        'mutation',
        'accounts.setMemberCap',
        { accountId: teamId, userId: m.id, monthlyRunCap: 1 },
        owner.accessToken,
      );
    }
    const attempts = await attemptAll(
      teamId,
      key,
      members.map((member, i) => ({
        member,
        runId: `s${i}`,
        transport: SERVICE_TRANSPORTS[i % 2] as Transport,
      })),
    );
    expect(attempts.filter((a) => a.status !== 200)).toEqual([]);
    // Half of them start; the service dies before starting the rest.
    const started = members.filter((_, i) => i % 2 === 0);
    for (const m of started) {
      const i = members.indexOf(m);
      const r = await trpc(
        server.url,
        'mutation',
        'usage.start',
        { accountId: teamId, userId: m.id, runId: `s${i}` },
        key,
      );
      expect(r.status).toBe(200);
    }
    expect((await teamCounters(server, teamId)).poolUsed).toBe(size.members);
    server.clock.advance(301_000);
    const swept = await Promise.all([1, 2, 3, 4].map(() => server.services.usage.sweepUnstarted()));
    const unstarted = members.length - started.length;
    // At most these: the server's own sweeper may have released some meanwhile; the counters below say
    // each was released once.
    expect(swept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(unstarted);
    const counters = await teamCounters(server, teamId);
    expect([counters.poolUsed, counters.ledgerLive]).toEqual([started.length, started.length]);
    for (const m of members) {
      const expected = started.includes(m) ? 1 : 0;
      expect([counters.ledgerByMember.get(m.id) ?? 0, counters.counterByMember.get(m.id) ?? 0], m.id).toEqual(
        [expected, expected],
      );
    }
    // A swept capped member has its cap's room back.
    const sweptCapped = capped.find((m) => !started.includes(m));
    if (!sweptCapped) throw new Error('a capped member whose run was swept');
    expect((await authorizeFor(server, 'member-trpc', teamId, sweptCapped, 'after-sweep', key)).status).toBe(
      200,
    );
  });
}

describe.skipIf(!onPostgres)('one team pool under concurrency (PostgreSQL, full size)', () => {
  suite(FULL, 'PostgreSQL');
});

describe.skipIf(onPostgres)('one team pool under concurrency (PGlite, small team)', () => {
  suite(SMALL, 'PGlite');
});
