import { updateSubscription } from '@tollgate/db';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { trpc, type Tokens } from '../support/http';
import {
  TEST_JWT_SECRET,
  registerVerifiedUser,
  startTestServer,
  type TestServer,
} from '../support/test-server';
import { authorizeFor, createTeam, givePool, makeUser, platformKey, type Member } from './team-support';

// A member cap set before anyone ran in the period lived only on the membership row (the period's
// counter rows are made at its first run), so removing the member lost it: back by a second
// invitation, or a re-invite, or a host org's next token, the member ran uncapped. The cap is now
// kept at removal (removed_member_caps) and applied when they come back.
const DAY = 86_400_000;

let server: TestServer;
beforeAll(async () => {
  // A host org's members come from its tokens (JWT_ORG_CLAIM); invitations work as on any server.
  server = await startTestServer({ JWT_ORG_CLAIM: 'org_id', JWT_ORG_ROLE_CLAIM: 'org_role' });
});
afterAll(() => server?.stop());
beforeEach(async () => {
  await server.testDb.reset();
  server.clock.reset();
});

interface Invitation {
  id: string;
  token: string;
}

/** A team with a pool of 100 runs, its owner's platform key, and a user who is not a member yet. */
async function teamWithStranger() {
  const owner = await registerVerifiedUser(server);
  const teamId = await createTeam(server, owner);
  await givePool(server, teamId, 100);
  const key = await platformKey(server);
  const member = await makeUser(server);
  return { owner, teamId, key, member };
}

async function invite(owner: Tokens, accountId: string, email: string): Promise<Invitation> {
  const invited = await trpc<Invitation>(
    server.url,
    'mutation',
    'accounts.invite',
    { accountId, email, role: 'member' },
    owner.accessToken,
  );
  expect(invited.status, JSON.stringify(invited.error)).toBe(200);
  return { id: invited.data?.id ?? '', token: invited.data?.token ?? '' };
}

async function accept(member: Member, accountId: string, invitation: Invitation) {
  const accepted = await trpc(
    server.url,
    'mutation',
    'accounts.acceptInvitation',
    { accountId, invitationId: invitation.id, token: invitation.token },
    member.accessToken,
  );
  expect(accepted.status, JSON.stringify(accepted.error)).toBe(200);
}

async function call(token: string, path: string, input: Record<string, unknown>) {
  const answer = await trpc(server.url, 'mutation', path, input, token);
  expect(answer.status, `${path}: ${JSON.stringify(answer.error)}`).toBe(200);
}

async function capSeen(owner: string, accountId: string, userId: string) {
  const listed = await trpc<Array<{ userId: string; monthlyRunCap: number | null }>>(
    server.url,
    'query',
    'accounts.members',
    { accountId },
    owner,
  );
  expect(listed.status, JSON.stringify(listed.error)).toBe(200);
  return listed.data?.find((row) => row.userId === userId)?.monthlyRunCap;
}

/** How many of `tries` runs the member's own token gets admitted. */
async function admitted(accountId: string, member: Member, prefix: string, tries: number, key: string) {
  let count = 0;
  for (let i = 0; i < tries; i += 1) {
    const answer = await authorizeFor(server, 'member-trpc', accountId, member, `${prefix}-${i}`, key);
    if (answer.status === 200) count += 1;
    else expect(answer).toMatchObject({ status: 402, code: 'MEMBER_CAP_REACHED' });
  }
  return count;
}

describe('a member cap set before anyone ran in the period survives removal', () => {
  it('leave, then accept a second (stashed) invitation: the cap still binds', async () => {
    const { owner, teamId, key, member } = await teamWithStranger();
    // Two links to two addresses; the member accepts one and keeps the other.
    const first = await invite(owner, teamId, member.email);
    const stashed = await invite(owner, teamId, `other-${member.email}`);
    await accept(member, teamId, first);
    await call(owner.accessToken, 'accounts.setMemberCap', {
      accountId: teamId,
      userId: member.id,
      monthlyRunCap: 1,
    });
    await call(member.accessToken, 'accounts.leave', { accountId: teamId });
    await accept(member, teamId, stashed);

    const result = {
      capSeen: await capSeen(owner.accessToken, teamId, member.id),
      admitted: await admitted(teamId, member, 'a', 5, key),
    };
    expect(result).toEqual({ capSeen: 1, admitted: 1 });
  });

  it('capped early in a new period (the member ran uncapped in the last one), removed and re-invited: the cap still binds', async () => {
    const { owner, teamId, key, member } = await teamWithStranger();
    await accept(member, teamId, await invite(owner, teamId, member.email));
    expect(await admitted(teamId, member, 'p1', 2, key)).toBe(2);

    // The next period, before anyone ran in it: capped, removed, invited back.
    const start = new Date(Date.now() + 29 * DAY);
    await updateSubscription(server.testDb.db, teamId, {
      currentPeriodStart: start,
      currentPeriodEnd: new Date(start.getTime() + 30 * DAY),
    });
    server.clock.advance(30 * DAY);
    await call(owner.accessToken, 'accounts.setMemberCap', {
      accountId: teamId,
      userId: member.id,
      monthlyRunCap: 1,
    });
    await call(owner.accessToken, 'accounts.removeMember', { accountId: teamId, userId: member.id });
    await accept(member, teamId, await invite(owner, teamId, member.email));

    const result = {
      capSeen: await capSeen(owner.accessToken, teamId, member.id),
      admitted: await admitted(teamId, member, 'p2', 5, key),
    };
    expect(result).toEqual({ capSeen: 1, admitted: 1 });
  });

  it('a cap the owner lifted stays lifted after remove + re-invite', async () => {
    const { owner, teamId, key, member } = await teamWithStranger();
    await accept(member, teamId, await invite(owner, teamId, member.email));
    const setCap = (monthlyRunCap: number | null) =>
      call(owner.accessToken, 'accounts.setMemberCap', {
        accountId: teamId,
        userId: member.id,
        monthlyRunCap,
      });
    await setCap(1);
    await setCap(null);
    await call(owner.accessToken, 'accounts.removeMember', { accountId: teamId, userId: member.id });
    await accept(member, teamId, await invite(owner, teamId, member.email));
    expect(await capSeen(owner.accessToken, teamId, member.id)).toBeNull();
    expect(await admitted(teamId, member, 'lifted', 3, key)).toBe(3);
  });

  it('a host org’s member an owner removed comes back with its next token, capped as before (next period too)', async () => {
    const hostToken = (claims: JWTPayload) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: 'https://host.example', iat: now, exp: now + 600, ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    };
    const ownerToken = () => hostToken({ sub: 'cap-owner', org_id: 'org-caps', org_role: 'owner' });
    const memberToken = () => hostToken({ sub: 'cap-member', org_id: 'org-caps', org_role: 'member' });
    const subscription = async (token: string) =>
      expect((await trpc(server.url, 'query', 'billing.subscription', undefined, token)).status).toBe(200);
    await subscription(await ownerToken());
    await subscription(await memberToken());
    const listed = await trpc<Array<{ id: string; kind: string }>>(
      server.url,
      'query',
      'accounts.list',
      undefined,
      await ownerToken(),
    );
    const accountId = listed.data?.find((account) => account.kind === 'team')?.id ?? '';
    await givePool(server, accountId, 100);
    const key = await platformKey(server);
    await call(await ownerToken(), 'accounts.setMemberCap', {
      accountId,
      userId: 'cap-member',
      monthlyRunCap: 1,
    });
    await call(await ownerToken(), 'accounts.removeMember', { accountId, userId: 'cap-member' });

    // Past the authenticator's memo of the org memberships it wrote (30 s): the next token re-adds.
    server.clock.advance(31_000);
    const member: Member = { id: 'cap-member', email: '', accessToken: await memberToken() };
    expect(await capSeen(await ownerToken(), accountId, 'cap-member')).toBeUndefined();
    const now = await admitted(accountId, member, 'now', 4, key);
    const seen = await capSeen(await ownerToken(), accountId, 'cap-member');

    const start = new Date(server.deps.now().getTime() + 29 * DAY);
    await updateSubscription(server.testDb.db, accountId, {
      currentPeriodStart: start,
      currentPeriodEnd: new Date(start.getTime() + 30 * DAY),
    });
    server.clock.advance(30 * DAY);
    const nextPeriod = await admitted(
      accountId,
      { ...member, accessToken: await memberToken() },
      'next',
      4,
      key,
    );
    expect({ seen, now, nextPeriod }).toEqual({ seen: 1, now: 1, nextPeriod: 1 });
  });
});
