import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request, trpc } from '../support/http';
import { registerVerifiedUser, startTestServer, type TestServer } from '../support/test-server';
import { addMembers, authorizeFor, createTeam, givePool, makeUser, type Member } from './team-support';

// What a member handed out (an account API key, an invitation link) must not outlive the power that
// made it: a removed or demoted admin can't keep acting for the team, or come back, through it. And an
// admin can't revoke an owner's admin invitation by re-inviting the address as a member.

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

type Owner = Awaited<ReturnType<typeof registerVerifiedUser>>;

async function teamWithAdmin(): Promise<{ owner: Owner; teamId: string; admin: Member }> {
  const owner = await registerVerifiedUser(server);
  const teamId = await createTeam(server, owner);
  await givePool(server, teamId, 10);
  const [admin] = await addMembers(server, teamId, 1, 'admin');
  if (!admin) throw new Error('no admin added');
  return { owner, teamId, admin };
}

async function accountKeyOf(teamId: string, creator: Member): Promise<string> {
  const created = await trpc<{ key: string }>(
    server.url,
    'mutation',
    'accounts.createApiKey',
    { accountId: teamId, name: 'made by the admin', scopes: ['runs:authorize', 'subscriptions:read'] },
    creator.accessToken,
  );
  expect(created.status).toBe(200);
  return created.data?.key ?? '';
}

function invite(teamId: string, email: string, role: 'admin' | 'member', token: string) {
  return trpc<{ id: string; token: string }>(
    server.url,
    'mutation',
    'accounts.invite',
    { accountId: teamId, email, role },
    token,
  );
}

function accept(teamId: string, invitation: { id: string; token: string } | undefined, token: string) {
  return trpc<{ role: string }>(
    server.url,
    'mutation',
    'accounts.acceptInvitation',
    { accountId: teamId, invitationId: invitation?.id, token: invitation?.token },
    token,
  );
}

async function removeMember(owner: Owner, teamId: string, member: Member) {
  const removed = await trpc(
    server.url,
    'mutation',
    'accounts.removeMember',
    { accountId: teamId, userId: member.id },
    owner.accessToken,
  );
  expect(removed.status).toBe(200);
}

async function setRole(owner: Owner, teamId: string, member: Member, role: 'admin' | 'member') {
  const changed = await trpc(
    server.url,
    'mutation',
    'accounts.setRole',
    { accountId: teamId, userId: member.id, role },
    owner.accessToken,
  );
  expect(changed.status).toBe(200);
}

/** What the key can still do for the team: read its subscription, spend its pool (as the owner). */
async function keyStillWorks(key: string, teamId: string, owner: Owner) {
  const read = await request(
    server.url,
    'GET',
    `/api/v1/billing/subscription?accountId=${teamId}&userId=${owner.user.id}`,
    { token: key },
  );
  const asOwner: Member = { id: owner.user.id, email: owner.user.email ?? '', accessToken: '' };
  const run = await authorizeFor(server, 'service-trpc', teamId, asOwner, `probe-${Date.now()}`, key);
  return { read: read.status, run: run.status };
}

describe('grants of a removed or demoted admin', () => {
  it("a removed admin's account key stops working (it read the team's billing and spent its pool)", async () => {
    const { owner, teamId, admin } = await teamWithAdmin();
    const key = await accountKeyOf(teamId, admin);
    expect(await keyStillWorks(key, teamId, owner)).toEqual({ read: 200, run: 200 });
    await removeMember(owner, teamId, admin);
    expect(await keyStillWorks(key, teamId, owner)).toEqual({ read: 401, run: 401 });
  });

  it("an admin demoted to member loses the keys it made; an owner's own keys are untouched", async () => {
    const { owner, teamId, admin } = await teamWithAdmin();
    const adminKey = await accountKeyOf(teamId, admin);
    const ownerKey = await accountKeyOf(teamId, {
      id: owner.user.id,
      email: '',
      accessToken: owner.accessToken,
    });
    await setRole(owner, teamId, admin, 'member');
    expect(await keyStillWorks(adminKey, teamId, owner)).toEqual({ read: 401, run: 401 });
    expect(await keyStillWorks(ownerKey, teamId, owner)).toEqual({ read: 200, run: 200 });
  });

  it.each(['removed', 'demoted'] as const)(
    'an admin %s while its key was being created gets no key (the role is read again as the key is written)',
    async (change) => {
      const { owner, teamId, admin } = await teamWithAdmin();
      // The window between the role check before the transaction and the key's insert, held open
      // (a slow pool, a GC pause) until the owner's change has committed; the service then runs as is.
      const { apiKeys } = server.services;
      const create = apiKeys.create.bind(apiKeys);
      let reached: () => void = () => {};
      const atCreate = new Promise<void>((resolve) => (reached = resolve));
      let release: () => void = () => {};
      const changed = new Promise<void>((resolve) => (release = resolve));
      apiKeys.create = async (...args) => {
        reached();
        await changed;
        return create(...args);
      };
      try {
        const creating = trpc<{ key: string }>(
          server.url,
          'mutation',
          'accounts.createApiKey',
          { accountId: teamId, name: 'made while losing the role', scopes: ['runs:authorize'] },
          admin.accessToken,
        );
        await atCreate;
        if (change === 'removed') await removeMember(owner, teamId, admin);
        else await setRole(owner, teamId, admin, 'member');
        release();
        const created = await creating;
        expect(created.status).toBe(change === 'removed' ? 404 : 403);
        const keys = await trpc<{ createdByUserId: string }[]>(
          server.url,
          'query',
          'accounts.apiKeys',
          { accountId: teamId },
          owner.accessToken,
        );
        expect(keys.data?.filter((key) => key.createdByUserId === admin.id)).toEqual([]);
      } finally {
        apiKeys.create = create;
      }
    },
  );

  it('a removed admin cannot rejoin through a link it sent before it was removed', async () => {
    const { owner, teamId, admin } = await teamWithAdmin();
    const spare = await invite(teamId, 'spare-address@example.test', 'member', admin.accessToken);
    expect(spare.status).toBe(200);
    await removeMember(owner, teamId, admin);
    const back = await accept(teamId, spare.data, admin.accessToken);
    expect(back.status).toBe(404);
    // The owner's own invitations are not the admin's: they still work.
    const guest = await makeUser(server, 'guest');
    const fromOwner = await invite(teamId, guest.email, 'member', owner.accessToken);
    expect((await accept(teamId, fromOwner.data, guest.accessToken)).status).toBe(200);
  });

  it("an admin can't revoke an owner's admin invitation by inviting the same address as a member", async () => {
    const { owner, teamId, admin } = await teamWithAdmin();
    const guest = await makeUser(server, 'guest');
    const ownerInvite = await invite(teamId, guest.email, 'admin', owner.accessToken);
    expect(ownerInvite.status).toBe(200);
    const adminInvite = await invite(teamId, guest.email, 'member', admin.accessToken);
    expect(adminInvite.status).toBe(403);
    const accepted = await accept(teamId, ownerInvite.data, guest.accessToken);
    expect(accepted.status).toBe(200);
    expect(accepted.data?.role).toBe('admin');
  });

  it('an admin still replaces its own pending member invitation for an address (the last link works)', async () => {
    const { teamId, admin } = await teamWithAdmin();
    const guest = await makeUser(server, 'guest');
    const first = await invite(teamId, guest.email, 'member', admin.accessToken);
    const second = await invite(teamId, guest.email, 'member', admin.accessToken);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect((await accept(teamId, first.data, guest.accessToken)).status).toBe(404);
    expect((await accept(teamId, second.data, guest.accessToken)).status).toBe(200);
  });
});
