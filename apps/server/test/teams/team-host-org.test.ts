import { createHash } from 'node:crypto';
import { queryRows, replaceInvitation } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerUser, trpc } from '../support/http';
import { TEST_JWT_SECRET, startTestServer, type TestServer } from '../support/test-server';

// A host platform names its organizations in a JWT claim (JWT_ORG_CLAIM): its users act on the team
// account standing for their organization, made on first use, in the role JWT_ORG_ROLE_CLAIM gives.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ JWT_ORG_CLAIM: 'org_id', JWT_ORG_ROLE_CLAIM: 'org_role' });
});
afterAll(() => server?.stop());
beforeEach(() => server.testDb.reset());

const hostToken = (claims: JWTPayload) => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'https://host.example', iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
};

async function orgAccounts() {
  return queryRows<{ host_org_id: string; user_id: string; role: string }>(
    server.testDb.db,
    sql`select a.host_org_id, m.user_id, m.role from accounts a
        join account_memberships m on m.account_id = a.id
        where a.host_org_id is not null order by a.host_org_id, m.user_id`,
  );
}

describe('host organizations (JWT_ORG_CLAIM)', () => {
  it('maps an org claim to one team account; its first member owns it, later ones get the claimed role', async () => {
    const [alice, bob, carol] = await Promise.all([
      hostToken({ sub: 'alice', org_id: 'org-acme', org_role: 'member' }),
      hostToken({ sub: 'bob', org_id: 'org-acme', org_role: 'admin' }),
      hostToken({ sub: 'carol', org_id: 'org-acme' }),
    ]);
    const first = await trpc<{ id: string; kind: string }>(
      server.url,
      'query',
      'billing.subscription',
      undefined,
      alice,
    );
    expect(first.status).toBe(200);
    for (const token of [bob, carol]) {
      expect((await trpc(server.url, 'query', 'billing.subscription', undefined, token)).status).toBe(200);
    }
    expect(await orgAccounts()).toEqual([
      { host_org_id: 'org-acme', user_id: 'alice', role: 'owner' },
      { host_org_id: 'org-acme', user_id: 'bob', role: 'admin' },
      { host_org_id: 'org-acme', user_id: 'carol', role: 'member' },
    ]);
    // With no header, the org's account is the one acted on: a team without a plan has no runs.
    const run = await trpc(server.url, 'mutation', 'usage.authorize', { runId: 'org-run-1' }, carol);
    expect(run.status).toBe(402);
    expect(run.error?.data.paymentRequired).toMatchObject({ code: 'NO_PLAN' });
    // The member's personal account is still there, by naming it.
    const accounts = await trpc<Array<{ id: string; kind: string }>>(
      server.url,
      'query',
      'accounts.list',
      undefined,
      carol,
    );
    const personal = accounts.data?.find((account) => account.kind === 'personal');
    const own = await trpc(server.url, 'mutation', 'usage.authorize', { runId: 'own-run-1' }, carol, {
      'x-tollgate-account': personal?.id ?? '',
    });
    expect(own.status).toBe(200);
  });

  // Each test uses its own ids: the server remembers (per process) the org memberships it has written.
  it('a token without the claim grants nothing on the org account; another org is another account', async () => {
    const owner = await hostToken({ sub: 'alice-2', org_id: 'org-acme-2', org_role: 'owner' });
    await trpc(server.url, 'query', 'billing.subscription', undefined, owner);
    const accounts = await trpc<Array<{ id: string; kind: string }>>(
      server.url,
      'query',
      'accounts.list',
      undefined,
      owner,
    );
    const orgAccount = accounts.data?.find((account) => account.kind === 'team');
    const outsider = await hostToken({ sub: 'mallory' });
    const denied = await trpc(server.url, 'query', 'billing.subscription', undefined, outsider, {
      'x-tollgate-account': orgAccount?.id ?? '',
    });
    expect(denied.status).toBe(404);
    const otherOrg = await hostToken({ sub: 'mallory', org_id: 'org-globex', org_role: 'owner' });
    await trpc(server.url, 'query', 'billing.subscription', undefined, otherOrg);
    expect((await orgAccounts()).map((row) => [row.host_org_id, row.user_id])).toEqual([
      ['org-acme-2', 'alice-2'],
      ['org-globex', 'mallory'],
    ]);
  });

  it('a claim never demotes the last owner', async () => {
    await trpc(
      server.url,
      'query',
      'billing.subscription',
      undefined,
      await hostToken({ sub: 'alice-3', org_id: 'org-x', org_role: 'owner' }),
    );
    await trpc(
      server.url,
      'query',
      'billing.subscription',
      undefined,
      await hostToken({ sub: 'alice-3', org_id: 'org-x', org_role: 'member' }),
    );
    expect(await orgAccounts()).toEqual([{ host_org_id: 'org-x', user_id: 'alice-3', role: 'owner' }]);
  });

  it('a role claimed again after a change is applied again: member → admin → member leaves a member', async () => {
    const as = (sub: string, role: string) => hostToken({ sub, org_id: 'org-aba', org_role: role });
    await trpc(server.url, 'query', 'billing.subscription', undefined, await as('owner-aba', 'owner'));
    for (const role of ['member', 'admin', 'member']) {
      const token = await as('bob-aba', role);
      expect((await trpc(server.url, 'query', 'billing.subscription', undefined, token)).status).toBe(200);
    }
    expect(await orgAccounts()).toEqual([
      { host_org_id: 'org-aba', user_id: 'bob-aba', role: 'member' },
      { host_org_id: 'org-aba', user_id: 'owner-aba', role: 'owner' },
    ]);
  });

  it('an admin the host demotes loses the account key it made, as with any demotion', async () => {
    const ownerToken = await hostToken({ sub: 'owner-key', org_id: 'org-key', org_role: 'owner' });
    await trpc(server.url, 'query', 'billing.subscription', undefined, ownerToken);
    const admin = await hostToken({ sub: 'dave-key', org_id: 'org-key', org_role: 'admin' });
    const accounts = await trpc<Array<{ id: string; kind: string }>>(
      server.url,
      'query',
      'accounts.list',
      undefined,
      admin,
    );
    const org = accounts.data?.find((account) => account.kind === 'team');
    const created = await trpc<{ key: string }>(
      server.url,
      'mutation',
      'accounts.createApiKey',
      { accountId: org?.id, name: 'dave key', scopes: ['subscriptions:read'] },
      admin,
    );
    expect(created.status).toBe(200);
    const key = created.data?.key ?? '';
    const read = () => trpc(server.url, 'query', 'billing.subscription', { userId: 'owner-key' }, key);
    expect((await read()).status).toBe(200);

    // The host demotes dave: his next token says member.
    const demoted = await hostToken({ sub: 'dave-key', org_id: 'org-key', org_role: 'member' });
    await trpc(server.url, 'query', 'billing.subscription', undefined, demoted);
    expect((await read()).status).toBe(401);
  });

  it('a member the host removed from the org loses the org account, though Tollgate still lists its row', async () => {
    const orgToken = (sub: string, role: string) => hostToken({ sub, org_id: 'org-gone', org_role: role });
    await trpc(server.url, 'query', 'billing.subscription', undefined, await orgToken('owner-gone', 'owner'));
    const erin = await orgToken('erin-gone', 'admin');
    const listed = await trpc<Array<{ id: string; kind: string }>>(
      server.url,
      'query',
      'accounts.list',
      undefined,
      erin,
    );
    const org = listed.data?.find((account) => account.kind === 'team');
    const onOrg = { 'x-tollgate-account': org?.id ?? '' };
    const members = (token: string) =>
      trpc(server.url, 'query', 'accounts.members', { accountId: org?.id }, token);
    expect((await members(erin)).status).toBe(200);

    // The host removes erin from the org: her tokens no longer name it (none, or another org of hers).
    for (const token of [
      await hostToken({ sub: 'erin-gone' }),
      await hostToken({ sub: 'erin-gone', org_id: 'org-erin-next', org_role: 'owner' }),
    ]) {
      expect((await members(token)).status).toBe(404);
      const run = await trpc(server.url, 'mutation', 'usage.authorize', { runId: 'gone-run' }, token, onOrg);
      expect(run.status).toBe(404);
      const accounts = await trpc<Array<{ id: string }>>(
        server.url,
        'query',
        'accounts.list',
        undefined,
        token,
      );
      expect(accounts.data?.map((account) => account.id)).not.toContain(org?.id);
    }
    // Her row is still there (the host never tells Tollgate): an owner removes it to end her seat.
    expect((await orgAccounts()).filter((row) => row.host_org_id === 'org-gone').length).toBe(2);
  });

  it("members and roles of a host org's team change at the host: Tollgate refuses to change them (409)", async () => {
    const orgToken = (sub: string, role: string) => hostToken({ sub, org_id: 'org-roles', org_role: role });
    const owner = await orgToken('owner-roles', 'owner');
    await trpc(server.url, 'query', 'billing.subscription', undefined, owner);
    const frank = await orgToken('frank-roles', 'member');
    const listed = await trpc<Array<{ id: string; kind: string }>>(
      server.url,
      'query',
      'accounts.list',
      undefined,
      frank,
    );
    const accountId = listed.data?.find((account) => account.kind === 'team')?.id;
    const asOwner = (path: string, input: object) =>
      trpc(server.url, 'mutation', path, { accountId, ...input }, owner);
    const refused = [
      await asOwner('accounts.setRole', { userId: 'frank-roles', role: 'admin' }),
      await asOwner('accounts.transferOwnership', { userId: 'frank-roles' }),
      await asOwner('accounts.invite', { email: 'someone@example.com', role: 'member' }),
      await trpc(server.url, 'mutation', 'accounts.leave', { accountId }, frank),
    ];
    for (const answer of refused) {
      expect(answer.status).toBe(409);
      expect(answer.error?.message).toMatch(/host/);
    }
    expect((await orgAccounts()).filter((row) => row.host_org_id === 'org-roles')).toEqual([
      { host_org_id: 'org-roles', user_id: 'frank-roles', role: 'member' },
      { host_org_id: 'org-roles', user_id: 'owner-roles', role: 'owner' },
    ]);
    // A link sent before the team was a host org's (invitations there are refused now) adds no one.
    const token = 'invitation-token-from-before';
    const invitation = await replaceInvitation(server.testDb.db, {
      accountId: accountId ?? '',
      email: 'early@example.com',
      role: 'member',
      tokenHash: createHash('sha256').update(token).digest('hex'),
      invitedByUserId: 'owner-roles',
      now: new Date(),
      expiresAt: new Date(Date.now() + 86_400_000),
      replaceableRoles: ['member'],
    });
    const early = await registerUser(server.url, 'early@example.com');
    const accepted = await trpc(
      server.url,
      'mutation',
      'accounts.acceptInvitation',
      { accountId, invitationId: invitation?.id, token },
      early.accessToken,
    );
    expect(accepted.status).toBe(409);
    expect((await orgAccounts()).filter((row) => row.host_org_id === 'org-roles')).toHaveLength(2);

    // Removing a member stays possible: it ends the seat and keys of someone the host removed (a
    // member the host still has comes back with their next token).
    const removed = await asOwner('accounts.removeMember', { userId: 'frank-roles' });
    expect(removed.status).toBe(200);
  });
});
