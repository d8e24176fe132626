import { renderEmail } from '@tollgate/mail';
import { accountInvitations, queryRows } from '@tollgate/db';
import { eq, sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, request, trpc, uniqueEmail, type Tokens } from '../support/http';
import { TEST_JWT_SECRET, registerVerifiedUser, type TestServer } from '../support/test-server';
import { APP_URL, linkFor, outboxFor, startEmailTestServer, tokenOf } from './email-support';

// Invitations are emails sent from Tollgate's own address to anyone an inviter names, with a team name
// the inviter typed. Two abuses a prober proved, each failing on the code before the fix:
// - an unverified sign-up claiming someone's address sent emails naming that address as the inviter;
// - the per-address hourly limit was per team, so a few teams could mail one stranger without end.

let server: TestServer;
beforeAll(async () => {
  server = await startEmailTestServer();
});
afterAll(() => server?.stop());

const NOT_VERIFIED_MESSAGE =
  'Verify your email address first: we sent you a link. You can ask for a new one in the app.';
const PHISHING_NAME =
  'Victim Corp Payroll — re-enter your bank details at https://victim-payroll.example/login';

async function createTeam(token: string, name = 'Team'): Promise<string> {
  const team = await trpc<{ id: string }>(server.url, 'mutation', 'accounts.create', { name }, token);
  expect(team.status, JSON.stringify(team.error)).toBe(200);
  return team.data?.id ?? '';
}

function invite(token: string, accountId: string, email: string) {
  return trpc(server.url, 'mutation', 'accounts.invite', { accountId, email, role: 'member' }, token);
}

async function invitationRows(accountId: string) {
  return server.testDb.db
    .select()
    .from(accountInvitations)
    .where(eq(accountInvitations.accountId, accountId));
}

describe('only a verified address may send invitations (they name it as the inviter)', () => {
  it('an unverified sign-up claiming an address: 403 EMAIL_NOT_VERIFIED (tRPC and REST), nothing written, nothing mailed', async () => {
    const spoofed = uniqueEmail('ceo');
    const attacker = await registerUser(server.url, spoofed);
    // Making a team sends nothing and stays open; inviting into it is what is refused.
    const accountId = await createTeam(attacker.accessToken, PHISHING_NAME);
    const employee = uniqueEmail('employee');

    const refused = await invite(attacker.accessToken, accountId, employee);
    expect(refused.status).toBe(403);
    expect(refused.error?.data.appCode).toBe('EMAIL_NOT_VERIFIED');
    expect(refused.error?.message).toBe(NOT_VERIFIED_MESSAGE);
    const viaRest = await request<{ error?: { code: string; message: string } }>(
      server.url,
      'POST',
      `/api/v1/accounts/${accountId}/invitations`,
      { token: attacker.accessToken, body: { email: employee, role: 'admin' } },
    );
    expect(viaRest.status).toBe(403);
    expect(viaRest.body.error).toEqual({ code: 'EMAIL_NOT_VERIFIED', message: NOT_VERIFIED_MESSAGE });

    expect(await outboxFor(server, employee)).toHaveLength(0);
    expect(await invitationRows(accountId)).toHaveLength(0);
    // The verification gate is billing's: the same refusal for a trial.
    const trial = await trpc(
      server.url,
      'mutation',
      'billing.activateTrial',
      undefined,
      attacker.accessToken,
    );
    expect(trial.error?.message).toBe(refused.error?.message);
  });

  it('refused attempts count toward no limit; once the address is verified (its link clicked) invitations go out naming it', async () => {
    const ownerEmail = uniqueEmail('owner');
    const owner = await registerUser(server.url, ownerEmail);
    const accountId = await createTeam(owner.accessToken, 'Acme');
    const target = uniqueEmail('target');
    for (let i = 0; i < 5; i += 1)
      expect((await invite(owner.accessToken, accountId, target)).status).toBe(403);

    const token = tokenOf(await linkFor(server, ownerEmail, 'verify_email'));
    expect((await trpc(server.url, 'mutation', 'auth.verifyEmail', { token })).status).toBe(200);

    // Refused attempts were not counted: the address's three an hour are all still there.
    for (let i = 0; i < 3; i += 1)
      expect((await invite(owner.accessToken, accountId, target)).status).toBe(200);
    const rows = await outboxFor(server, target, 'team_invitation');
    expect(rows).toHaveLength(3);
    expect(rows[0]?.data).toMatchObject({ accountName: 'Acme', inviterEmail: ownerEmail });
  });

  it('a host-platform user (vouched for by its token, no Tollgate address) invites; the email names no address', async () => {
    const now = Math.floor(Date.now() / 1000);
    const hostToken = await new SignJWT({
      iss: 'https://host.example',
      sub: 'host-inviter',
      iat: now,
      exp: now + 600,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const accountId = await createTeam(hostToken, 'Host team');
    const invitee = uniqueEmail('host-invitee');
    const invited = await invite(hostToken, accountId, invitee);
    expect(invited.status, JSON.stringify(invited.error)).toBe(200);
    const [row] = await outboxFor(server, invitee, 'team_invitation');
    expect(row?.data).toMatchObject({ accountName: 'Host team', inviterEmail: 'A team admin' });
  });

  it("the email quotes the team's name as a name its creator chose, after the verified inviter", async () => {
    const ownerEmail = uniqueEmail('ceo');
    const owner = await registerVerifiedUser(server, ownerEmail);
    const accountId = await createTeam(owner.accessToken, PHISHING_NAME);
    const employee = uniqueEmail('employee');
    expect((await invite(owner.accessToken, accountId, employee)).status).toBe(200);
    const [row] = await outboxFor(server, employee, 'team_invitation');
    const data = row?.data ?? {};
    const rendered = renderEmail(
      {
        kind: 'team_invitation',
        accountName: String(data.accountName),
        inviterEmail: String(data.inviterEmail),
        role: 'member',
        acceptUrl: String(data.acceptUrl),
        expiresAt: new Date(String(data.expiresAt)),
      },
      { appUrl: APP_URL, productName: 'Tollgate' },
    );
    expect(rendered.text).toContain(
      `${ownerEmail} invited you to join the team “${PHISHING_NAME}” on Tollgate`,
    );
    expect(rendered.text).toContain("The team's name was chosen by its creator, not by Tollgate.");
  });
});

describe('one address gets at most 3 invitations an hour from all teams together', () => {
  async function fiveTeams(user: Tokens): Promise<string[]> {
    const teams: string[] = [];
    for (let i = 0; i < 5; i += 1) teams.push(await createTeam(user.accessToken, `Team ${i}`));
    return teams;
  }

  it('two users with five teams each invite one victim three times from each: 3 emails, the rest 429', async () => {
    const victim = uniqueEmail('victim');
    const statuses: number[] = [];
    for (const user of [await registerVerifiedUser(server), await registerVerifiedUser(server)]) {
      for (const accountId of await fiveTeams(user)) {
        for (let i = 0; i < 3; i += 1) {
          // The address as typed in any case is the same address.
          const address = i === 1 ? victim.toUpperCase() : victim;
          const answer = await invite(user.accessToken, accountId, address);
          statuses.push(answer.status);
          if (answer.status === 429) {
            expect(answer.error?.message).toMatch(/invited 3 times in the last hour/);
          }
        }
      }
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3).every((status) => status === 429)).toBe(true);
    expect(await outboxFor(server, victim, 'team_invitation')).toHaveLength(3);

    // An hour later the address may be invited again, from any team.
    server.clock.advance(61 * 60_000);
    const someone = await registerVerifiedUser(server);
    expect((await invite(someone.accessToken, await createTeam(someone.accessToken), victim)).status).toBe(
      200,
    );
    expect(await outboxFor(server, victim, 'team_invitation')).toHaveLength(4);
  });

  it('invitations to one address from many teams at once: exactly 3 go out (they take turns on the address)', async () => {
    const victim = uniqueEmail('at-once');
    const inviters = await Promise.all(Array.from({ length: 4 }, () => registerVerifiedUser(server)));
    const teams = (await Promise.all(inviters.map((user) => fiveTeams(user)))).flatMap((ids, index) =>
      ids.map((accountId) => ({ accountId, token: inviters[index]?.accessToken ?? '' })),
    );
    const answers = await Promise.all(teams.map(({ accountId, token }) => invite(token, accountId, victim)));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(teams.length - 3);
    expect(await outboxFor(server, victim, 'team_invitation')).toHaveLength(3);
    const [stored] = await queryRows<{ count: number }>(
      server.testDb.db,
      sql`select count(*)::int as count from account_invitations where email = ${victim}`,
    );
    expect(stored?.count).toBe(3);
  });

  it('the per-address count is served by an index on (email, created_at)', async () => {
    const indexes = await queryRows<{ indexdef: string }>(
      server.testDb.db,
      sql`select indexdef from pg_indexes where tablename = 'account_invitations'`,
    );
    expect(indexes.map((row) => row.indexdef)).toContainEqual(
      expect.stringMatching(/account_invitations_email_created_idx .*\(email, created_at\)/),
    );
  });
});
