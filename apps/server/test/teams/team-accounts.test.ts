import { queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { trpc, type Tokens } from '../support/http';
import { registerVerifiedUser, startTestServer, type TestServer } from '../support/test-server';
import { ACCOUNT_HEADER, createTeam } from './team-support';

// Team accounts over HTTP against the real server: creating one, inviting, accepting, roles, the last
// owner, and what a member may and may not do.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(async () => {
  await server.testDb.reset();
});

/** Invites `member` (by its email) and accepts the link as `member`. */
async function join(owner: Tokens, accountId: string, member: Tokens, role: 'admin' | 'member' = 'member') {
  const invited = await trpc<{ id: string; token: string; url: string }>(
    server.url,
    'mutation',
    'accounts.invite',
    { accountId, email: member.user.email, role },
    owner.accessToken,
  );
  expect(invited.status).toBe(200);
  const link = new URL(invited.data?.url ?? '');
  expect(link.hash).toBe(`#token=${invited.data?.token}`);
  const accepted = await trpc(
    server.url,
    'mutation',
    'accounts.acceptInvitation',
    { accountId, invitationId: invited.data?.id, token: invited.data?.token },
    member.accessToken,
  );
  expect(accepted.data).toMatchObject({ id: accountId, role });
  return invited.data;
}

describe('team accounts', () => {
  it('every user has a personal account; a team account is listed after it with the role held', async () => {
    const owner = await registerVerifiedUser(server);
    const before = await trpc<Array<{ kind: string }>>(
      server.url,
      'query',
      'accounts.list',
      undefined,
      owner.accessToken,
    );
    expect(before.data?.map((account) => account.kind)).toEqual(['personal']);
    const teamId = await createTeam(server, owner);
    const after = await trpc<Array<{ id: string; kind: string; role: string }>>(
      server.url,
      'query',
      'accounts.list',
      undefined,
      owner.accessToken,
    );
    expect(after.data?.map((account) => [account.kind, account.role])).toEqual([
      ['personal', 'owner'],
      ['team', 'owner'],
    ]);
    expect(after.data?.[1]?.id).toBe(teamId);
  });

  it('invite, accept: the member sees the shared usage but no billing action; the link works once', async () => {
    const owner = await registerVerifiedUser(server);
    const member = await registerVerifiedUser(server);
    const teamId = await createTeam(server, owner);
    const invitation = await join(owner, teamId, member);

    const members = await trpc<Array<{ userId: string; role: string }>>(
      server.url,
      'query',
      'accounts.members',
      { accountId: teamId },
      member.accessToken,
    );
    expect(members.data?.map((row) => [row.userId, row.role])).toEqual([
      [owner.user.id, 'owner'],
      [member.user.id, 'member'],
    ]);
    const headers = { [ACCOUNT_HEADER]: teamId };
    const overview = await trpc(
      server.url,
      'query',
      'billing.subscription',
      undefined,
      member.accessToken,
      headers,
    );
    expect(overview.status).toBe(200);
    for (const path of [
      'billing.activateTrial',
      'billing.createCheckoutSession',
      'billing.createPortalSession',
    ]) {
      const input =
        path === 'billing.createCheckoutSession'
          ? { plan: 'TEAM' }
          : path === 'billing.createPortalSession'
            ? {}
            : undefined;
      const refused = await trpc(server.url, 'mutation', path, input, member.accessToken, headers);
      expect(refused.status, path).toBe(403);
    }
    const invoices = await trpc(
      server.url,
      'query',
      'billing.invoices',
      undefined,
      member.accessToken,
      headers,
    );
    expect(invoices.status).toBe(403);
    const invite = await trpc(
      server.url,
      'mutation',
      'accounts.invite',
      { accountId: teamId, email: 'x@example.test' },
      member.accessToken,
    );
    expect(invite.status).toBe(403);

    // The same link again, by anyone: spent.
    const third = await registerVerifiedUser(server);
    const reused = await trpc(
      server.url,
      'mutation',
      'accounts.acceptInvitation',
      { accountId: teamId, invitationId: invitation?.id, token: invitation?.token },
      third.accessToken,
    );
    expect(reused.status).toBe(404);
    expect(reused.error?.data.appCode).toBe('INVITATION_INVALID');
  });

  it('a wrong token, a revoked or an expired invitation is refused; a new invitation replaces a pending one', async () => {
    const owner = await registerVerifiedUser(server);
    const guest = await registerVerifiedUser(server);
    const teamId = await createTeam(server, owner);
    const first = await trpc<{ id: string; token: string }>(
      server.url,
      'mutation',
      'accounts.invite',
      { accountId: teamId, email: guest.user.email },
      owner.accessToken,
    );
    const second = await trpc<{ id: string; token: string }>(
      server.url,
      'mutation',
      'accounts.invite',
      { accountId: teamId, email: guest.user.email },
      owner.accessToken,
    );
    const accept = (id: string | undefined, token: string | undefined) =>
      trpc(
        server.url,
        'mutation',
        'accounts.acceptInvitation',
        { accountId: teamId, invitationId: id, token },
        guest.accessToken,
      );
    expect((await accept(first.data?.id, first.data?.token)).error?.data.appCode).toBe('INVITATION_INVALID');
    expect((await accept(second.data?.id, 'not-the-token')).error?.data.appCode).toBe('INVITATION_INVALID');
    const pending = await trpc<Array<{ id: string }>>(
      server.url,
      'query',
      'accounts.invitations',
      { accountId: teamId },
      owner.accessToken,
    );
    expect(pending.data?.map((row) => row.id)).toEqual([second.data?.id]);
    const revoked = await trpc(
      server.url,
      'mutation',
      'accounts.revokeInvitation',
      { accountId: teamId, invitationId: second.data?.id },
      owner.accessToken,
    );
    expect(revoked.status).toBe(200);
    expect((await accept(second.data?.id, second.data?.token)).error?.data.appCode).toBe(
      'INVITATION_INVALID',
    );

    const third = await trpc<{ id: string; token: string }>(
      server.url,
      'mutation',
      'accounts.invite',
      { accountId: teamId, email: guest.user.email },
      owner.accessToken,
    );
    server.clock.advance(8 * 86_400_000);
    try {
      expect((await accept(third.data?.id, third.data?.token)).error?.data.appCode).toBe(
        'INVITATION_INVALID',
      );
    } finally {
      server.clock.reset();
    }
    const members = await queryRows<{ n: number }>(
      server.testDb.db,
      sql`select count(*)::int as n from account_memberships where account_id = ${teamId}`,
    );
    expect(members).toEqual([{ n: 1 }]);
  });

  it('nobody can leave, demote or remove the last owner; two owners removing each other leave one', async () => {
    const owner = await registerVerifiedUser(server);
    const other = await registerVerifiedUser(server);
    const teamId = await createTeam(server, owner);
    const left = await trpc(
      server.url,
      'mutation',
      'accounts.leave',
      { accountId: teamId },
      owner.accessToken,
    );
    expect(left.error?.data.appCode).toBe('LAST_OWNER');
    const demoted = await trpc(
      server.url,
      'mutation',
      'accounts.setRole',
      { accountId: teamId, userId: owner.user.id, role: 'admin' },
      owner.accessToken,
    );
    expect(demoted.error?.data.appCode).toBe('LAST_OWNER');

    await join(owner, teamId, other, 'admin');
    const promoted = await trpc(
      server.url,
      'mutation',
      'accounts.setRole',
      { accountId: teamId, userId: other.user.id, role: 'owner' },
      owner.accessToken,
    );
    expect(promoted.status).toBe(200);
    const results = await Promise.all([
      trpc(
        server.url,
        'mutation',
        'accounts.removeMember',
        { accountId: teamId, userId: other.user.id },
        owner.accessToken,
      ),
      trpc(
        server.url,
        'mutation',
        'accounts.removeMember',
        { accountId: teamId, userId: owner.user.id },
        other.accessToken,
      ),
    ]);
    // The loser is refused: LAST_OWNER if it ran first on its own view, or no longer a member (404).
    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    expect(results.map((result) => result.status).filter((status) => status !== 200)[0]).toBeOneOf([
      404, 409,
    ]);
    const owners = await queryRows<{ n: number }>(
      server.testDb.db,
      sql`select count(*)::int as n from account_memberships where account_id = ${teamId} and role = 'owner'`,
    );
    expect(owners).toEqual([{ n: 1 }]);
  });

  it('an admin manages members but not other admins, owners or roles', async () => {
    const owner = await registerVerifiedUser(server);
    const admin = await registerVerifiedUser(server);
    const admin2 = await registerVerifiedUser(server);
    const member = await registerVerifiedUser(server);
    const teamId = await createTeam(server, owner);
    await join(owner, teamId, admin, 'admin');
    await join(owner, teamId, admin2, 'admin');
    await join(admin, teamId, member, 'member');
    const asAdmin = (path: string, input: Record<string, unknown>) =>
      trpc(server.url, 'mutation', path, { accountId: teamId, ...input }, admin.accessToken);
    expect((await asAdmin('accounts.removeMember', { userId: admin2.user.id })).status).toBe(403);
    expect((await asAdmin('accounts.removeMember', { userId: owner.user.id })).status).toBe(403);
    expect((await asAdmin('accounts.setRole', { userId: member.user.id, role: 'admin' })).status).toBe(403);
    expect((await asAdmin('accounts.invite', { email: 'boss@example.test', role: 'admin' })).status).toBe(
      403,
    );
    expect(
      (await asAdmin('accounts.setMemberCap', { userId: member.user.id, monthlyRunCap: 3 })).status,
    ).toBe(200);
    expect((await asAdmin('accounts.removeMember', { userId: member.user.id })).status).toBe(200);
  });

  it('an account the caller is not a member of is a 404 (the same as one that does not exist); a bad header is a 400', async () => {
    const owner = await registerVerifiedUser(server);
    const stranger = await registerVerifiedUser(server);
    const teamId = await createTeam(server, owner);
    const headers = { [ACCOUNT_HEADER]: teamId };
    const overview = await trpc(
      server.url,
      'query',
      'billing.subscription',
      undefined,
      stranger.accessToken,
      headers,
    );
    expect(overview.status).toBe(404);
    expect(overview.error?.data.appCode).toBe('ACCOUNT_NOT_FOUND');
    const members = await trpc(
      server.url,
      'query',
      'accounts.members',
      { accountId: teamId },
      stranger.accessToken,
    );
    expect(members.error?.data.appCode).toBe('ACCOUNT_NOT_FOUND');
    const missing = await trpc(
      server.url,
      'query',
      'accounts.members',
      { accountId: '00000000-0000-4000-8000-000000000000' },
      stranger.accessToken,
    );
    expect(missing.error?.data.appCode).toBe('ACCOUNT_NOT_FOUND');
    const bad = await trpc(server.url, 'query', 'billing.subscription', undefined, stranger.accessToken, {
      [ACCOUNT_HEADER]: 'nope',
    });
    expect(bad.status).toBe(400);
  });

  it('a team without a paid plan has no runs: 402 NO_PLAN, nothing counted', async () => {
    const owner = await registerVerifiedUser(server);
    const teamId = await createTeam(server, owner);
    const denied = await trpc(
      server.url,
      'mutation',
      'usage.authorize',
      { runId: 'team-run-1' },
      owner.accessToken,
      { [ACCOUNT_HEADER]: teamId },
    );
    expect(denied.status).toBe(402);
    expect(denied.error?.data.paymentRequired).toMatchObject({ code: 'NO_PLAN', plan: 'FREE', limit: 0 });
    const personal = await trpc(
      server.url,
      'mutation',
      'usage.authorize',
      { runId: 'team-run-1' },
      owner.accessToken,
    );
    expect(personal.status).toBe(200);
    const ledger = await queryRows<{ n: number }>(
      server.testDb.db,
      sql`select count(*)::int as n from usage_ledger where account_id = ${teamId}`,
    );
    expect(ledger).toEqual([{ n: 0 }]);
  });

  it('at most 5 team accounts per user per day (429 after), counted exactly under concurrency', async () => {
    const owner = await registerVerifiedUser(server);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        trpc(server.url, 'mutation', 'accounts.create', { name: `Team ${i}` }, owner.accessToken),
      ),
    );
    expect(results.filter((result) => result.status === 200)).toHaveLength(5);
    expect(results.filter((result) => result.status === 429)).toHaveLength(3);
    server.clock.advance(86_400_000 + 1000);
    try {
      const next = await trpc(
        server.url,
        'mutation',
        'accounts.create',
        { name: 'Next day' },
        owner.accessToken,
      );
      expect(next.status).toBe(200);
    } finally {
      server.clock.reset();
    }
  });
});
