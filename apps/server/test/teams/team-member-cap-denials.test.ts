import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerUser, trpc } from '../support/http';
import { startTestServer, type TestServer } from '../support/test-server';
import { addMembers, createTeam, givePool, platformKey, type Member } from './team-support';

// Which 402 a capped member gets: MEMBER_CAP_REACHED whenever the account could still pay for the run
// (an admin raising the cap helps), never a 500, never "buy runs" when buying wouldn't unblock them.

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

async function cappedMember(pool: number, cap: number) {
  const owner = await registerUser(server.url);
  const teamId = await createTeam(server, owner);
  await givePool(server, teamId, pool);
  const [member] = await addMembers(server, teamId, 1);
  if (!member) throw new Error('no member added');
  const capSet = await trpc(
    server.url,
    'mutation',
    'accounts.setMemberCap',
    { accountId: teamId, userId: member.id, monthlyRunCap: cap },
    owner.accessToken,
  );
  expect(capSet.status).toBe(200);
  return { teamId, member, key: await platformKey(server) };
}

function authorize(key: string, teamId: string, member: Member, runId: string, estimate?: number) {
  return trpc(
    server.url,
    'mutation',
    'usage.authorize',
    { accountId: teamId, userId: member.id, runId, estimate },
    key,
  );
}

function denialOf(answer: { error?: unknown }) {
  const data = (answer.error as { data?: { paymentRequired?: Record<string, unknown> } } | undefined)?.data;
  return data?.paymentRequired ?? null;
}

describe("a capped member's 402", () => {
  it('an estimate larger than what the cap leaves: 402 MEMBER_CAP_REACHED saying what the cap leaves (was a 500)', async () => {
    const { teamId, member, key } = await cappedMember(100, 2);
    const answer = await authorize(key, teamId, member, 'big-1', 3);
    expect(answer.status).toBe(402);
    const denial = denialOf(answer);
    expect(denial).toMatchObject({ code: 'MEMBER_CAP_REACHED', used: 0, limit: 2, buyRunsUrl: null });
    expect(denial?.['message']).toContain('leaves 2');
    // The same member's run that fits is admitted: the cap was judged, not the pool.
    expect((await authorize(key, teamId, member, 'fits-1', 2)).status).toBe(200);
  });

  it('the allowance is spent but the account still holds credits: MEMBER_CAP_REACHED, not "buy runs"', async () => {
    const { teamId, member, key } = await cappedMember(1, 1);
    await server.services.credits.grantCredits({
      accountId: teamId,
      units: 50,
      expiresAt: null,
      reason: 'test',
      grantedBy: 'cli:test',
    });
    expect((await authorize(key, teamId, member, 'm-1')).status).toBe(200);
    const second = await authorize(key, teamId, member, 'm-2');
    expect(second.status).toBe(402);
    expect(denialOf(second)).toMatchObject({ code: 'MEMBER_CAP_REACHED', used: 1, limit: 1 });
  });

  it('the whole balance is spent as well: the account is told it needs runs (USAGE_LIMIT_REACHED)', async () => {
    const { teamId, member, key } = await cappedMember(1, 1);
    expect((await authorize(key, teamId, member, 'm-1')).status).toBe(200);
    const second = await authorize(key, teamId, member, 'm-2');
    expect(second.status).toBe(402);
    expect(denialOf(second)).toMatchObject({ code: 'USAGE_LIMIT_REACHED' });
  });
});
