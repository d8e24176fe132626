import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, trpc, uniqueEmail } from '../support/http';
import { registerVerifiedUser, type TestServer } from '../support/test-server';
import { APP_URL, linkFor, outboxFor, startEmailTestServer, tokenOf } from './email-support';

let server: TestServer;
beforeAll(async () => {
  server = await startEmailTestServer();
});
afterAll(() => server?.stop());

interface CreatedInvitation {
  id: string;
  accountId: string;
  url: string;
  token: string;
}

// Inviters are verified (an invitation needs it: invitation-abuse.test.ts); invitees sign up as anyone.
describe('team invitations are emailed', () => {
  it('invite enqueues one email with the returned accept link; following it joins the team', async () => {
    const ownerEmail = uniqueEmail('owner');
    const owner = await registerVerifiedUser(server, ownerEmail);
    const team = await trpc<{ id: string }>(
      server.url,
      'mutation',
      'accounts.create',
      { name: 'Acme' },
      owner.accessToken,
    );
    const accountId = team.data?.id ?? '';
    const inviteeEmail = uniqueEmail('invitee');

    const invited = await trpc<CreatedInvitation>(
      server.url,
      'mutation',
      'accounts.invite',
      { accountId, email: inviteeEmail.toUpperCase(), role: 'admin' },
      owner.accessToken,
    );
    expect(invited.status, JSON.stringify(invited.error)).toBe(200);
    const rows = await outboxFor(server, inviteeEmail, 'team_invitation');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ accountId, userId: null, status: 'pending' });
    expect(rows[0]?.data).toMatchObject({
      accountName: 'Acme',
      inviterEmail: ownerEmail,
      role: 'admin',
      acceptUrl: invited.data?.url,
    });
    const link = await linkFor(server, inviteeEmail, 'team_invitation');
    expect(link.startsWith(`${APP_URL}/invitations/accept?`)).toBe(true);

    // The invitee signs up and follows the link: the query names the invitation, the fragment holds the token.
    const invitee = await registerUser(server.url, inviteeEmail);
    const query = new URL(link).searchParams;
    const accepted = await trpc(
      server.url,
      'mutation',
      'accounts.acceptInvitation',
      { accountId: query.get('account'), invitationId: query.get('invitation'), token: tokenOf(link) },
      invitee.accessToken,
    );
    expect(accepted.status, JSON.stringify(accepted.error)).toBe(200);
    expect(accepted.data).toMatchObject({ id: accountId, name: 'Acme', role: 'admin' });
  });

  it('a re-invite replaces the invitation and emails its new link (the old one no longer works)', async () => {
    const owner = await registerVerifiedUser(server, uniqueEmail('owner'));
    const team = await trpc<{ id: string }>(
      server.url,
      'mutation',
      'accounts.create',
      { name: 'Again' },
      owner.accessToken,
    );
    const accountId = team.data?.id ?? '';
    const inviteeEmail = uniqueEmail('twice');
    for (let i = 0; i < 2; i += 1) {
      const invited = await trpc(
        server.url,
        'mutation',
        'accounts.invite',
        { accountId, email: inviteeEmail },
        owner.accessToken,
      );
      expect(invited.status).toBe(200);
    }
    const rows = await outboxFor(server, inviteeEmail, 'team_invitation');
    expect(rows).toHaveLength(2);
    const [first, second] = rows.map((row) => String(row.data?.acceptUrl));
    expect(first).not.toBe(second);

    const invitee = await registerUser(server.url, inviteeEmail);
    const accept = (link: string) => {
      const query = new URL(link).searchParams;
      return trpc(
        server.url,
        'mutation',
        'accounts.acceptInvitation',
        { accountId: query.get('account'), invitationId: query.get('invitation'), token: tokenOf(link) },
        invitee.accessToken,
      );
    };
    expect((await accept(first ?? '')).status).toBe(404);
    expect((await accept(second ?? '')).status).toBe(200);
  });

  it('a refused invite (a member may not invite) enqueues nothing', async () => {
    const owner = await registerVerifiedUser(server, uniqueEmail('owner'));
    const team = await trpc<{ id: string }>(
      server.url,
      'mutation',
      'accounts.create',
      { name: 'Closed' },
      owner.accessToken,
    );
    const accountId = team.data?.id ?? '';
    const memberEmail = uniqueEmail('member');
    const invited = await trpc<CreatedInvitation>(
      server.url,
      'mutation',
      'accounts.invite',
      { accountId, email: memberEmail, role: 'member' },
      owner.accessToken,
    );
    const member = await registerUser(server.url, memberEmail);
    const query = new URL(invited.data?.url ?? '').searchParams;
    await trpc(
      server.url,
      'mutation',
      'accounts.acceptInvitation',
      { accountId, invitationId: query.get('invitation'), token: invited.data?.token },
      member.accessToken,
    );
    const target = uniqueEmail('nope');
    const refused = await trpc(
      server.url,
      'mutation',
      'accounts.invite',
      { accountId, email: target },
      member.accessToken,
    );
    expect(refused.status).toBe(403);
    expect(await outboxFor(server, target)).toHaveLength(0);
  });

  it('invitations are bounded: 3 an hour to one address, 100 a day per team; refused ones send nothing', async () => {
    const owner = await registerVerifiedUser(server, uniqueEmail('owner'));
    const team = await trpc<{ id: string }>(
      server.url,
      'mutation',
      'accounts.create',
      { name: 'Payroll: confirm your bank details at evil.example' },
      owner.accessToken,
    );
    const accountId = team.data?.id ?? '';
    const invite = (email: string) =>
      trpc(
        server.url,
        'mutation',
        'accounts.invite',
        { accountId, email, role: 'member' },
        owner.accessToken,
      );
    const target = uniqueEmail('target');
    for (let i = 0; i < 3; i += 1) expect((await invite(target)).status).toBe(200);
    const fourth = await invite(target);
    expect(fourth.status).toBe(429);
    expect(fourth.error?.message).toMatch(/invited 3 times in the last hour/);
    expect(await outboxFor(server, target, 'team_invitation')).toHaveLength(3);

    // An hour later the address can be invited again; the team's day still counts those 4.
    server.clock.advance(61 * 60_000);
    expect((await invite(target)).status).toBe(200);
    for (let i = 0; i < 96; i += 1) expect((await invite(uniqueEmail(`n${i}`))).status).toBe(200);
    const overDay = await invite(uniqueEmail('one-too-many'));
    expect(overDay.status).toBe(429);
    expect(overDay.error?.message).toMatch(/At most 100 invitations .* per day/);
    server.clock.advance(24 * 60 * 60_000);
    expect((await invite(uniqueEmail('next-day'))).status).toBe(200);
  });
});
