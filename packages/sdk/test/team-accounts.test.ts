import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT_ERROR_CODES,
  AccountError,
  PaymentRequiredError,
  TollgateError,
  createTollgateClient,
  toTollgateError,
  type TollgateClient,
} from '../src';
import { newRunId, startTestTollgate, type SignedInUser, type TestTollgate } from './support/tollgate-server';

let tollgate: TestTollgate;
let service: TollgateClient;

beforeAll(async () => {
  tollgate = await startTestTollgate();
  const { key } = await tollgate.createApiKey(['runs:authorize', 'runs:release', 'subscriptions:read']);
  service = createTollgateClient({ url: tollgate.url, apiKey: key });
});
afterAll(() => tollgate?.stop());

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

function asUser(user: SignedInUser, getAccountId?: () => string | null): TollgateClient {
  return createTollgateClient({
    url: tollgate.url,
    getToken: () => user.accessToken,
    ...(getAccountId ? { getAccountId } : {}),
  });
}

/** A team (owner + one member) with a paid pool of `limit` runs. */
async function paidTeam(limit = 100) {
  const owner = await tollgate.registerUser();
  const member = await tollgate.registerUser();
  const accountId = await tollgate.createTeam(owner, [member]);
  await tollgate.giveTeamPool(accountId, limit);
  return { owner, member, accountId };
}

describe('a service acting for a member of a team account', () => {
  it("authorizes, starts and releases the member's runs on the team's pool, not the member's own", async () => {
    const { member, accountId } = await paidTeam(100);
    const target = { userId: member.id, accountId };

    const first = await service.authorizeRun({ ...target, runId: newRunId() });
    expect(first).toMatchObject({ plan: 'ENTERPRISE', used: 1, limit: 100, remaining: 99 });
    await expect(service.startRun({ ...target, runId: first.runId })).resolves.toMatchObject({
      state: 'started',
    });
    const second = await service.authorizeRun({ ...target, runId: newRunId() });
    expect(second.used).toBe(2);
    await expect(service.releaseRun({ ...target, runId: second.runId })).resolves.toMatchObject({
      released: true,
    });

    await expect(service.getSubscription(target)).resolves.toMatchObject({
      plan: 'ENTERPRISE',
      usage: { used: 1, limit: 100 },
    });
    // userId alone is still the member's personal account, as before accounts existed.
    await expect(service.getSubscription(member.id)).resolves.toMatchObject({
      plan: 'FREE',
      usage: { used: 0 },
    });
    await expect(service.getSubscription({ userId: member.id })).resolves.toMatchObject({ plan: 'FREE' });
  });

  it('a team without a paid plan has no runs: PaymentRequiredError NO_PLAN', async () => {
    const owner = await tollgate.registerUser();
    const member = await tollgate.registerUser();
    const accountId = await tollgate.createTeam(owner, [member]);

    const denial = await rejectionOf(
      service.authorizeRun({ userId: member.id, accountId, runId: newRunId() }),
    );
    expect(denial).toBeInstanceOf(PaymentRequiredError);
    expect(denial).toMatchObject({ code: 'NO_PLAN', httpStatus: 402 });
    expect((denial as PaymentRequiredError).body.error.code).toBe('NO_PLAN');
  });

  it("a member's monthly cap used up: PaymentRequiredError MEMBER_CAP_REACHED with the member's numbers", async () => {
    const { owner, member, accountId } = await paidTeam(100);
    await asUser(owner).trpc.accounts.setMemberCap.mutate({ accountId, userId: member.id, monthlyRunCap: 1 });

    await service.authorizeRun({ userId: member.id, accountId, runId: newRunId() });
    const denial = await rejectionOf(
      service.authorizeRun({ userId: member.id, accountId, runId: newRunId() }),
    );
    expect(denial).toBeInstanceOf(PaymentRequiredError);
    expect(denial).toMatchObject({ code: 'MEMBER_CAP_REACHED', httpStatus: 402, used: 1, limit: 1 });
    // The owner still runs on the pool.
    await expect(
      service.authorizeRun({ userId: owner.id, accountId, runId: newRunId() }),
    ).resolves.toMatchObject({ used: 2, limit: 100 });
  });

  it('naming a user who is not a member of the account: AccountError ACCOUNT_NOT_FOUND (404)', async () => {
    const { accountId } = await paidTeam();
    const stranger = await tollgate.registerUser();

    const error = await rejectionOf(
      service.authorizeRun({ userId: stranger.id, accountId, runId: newRunId() }),
    );
    expect(error).toBeInstanceOf(AccountError);
    expect(error).toBeInstanceOf(TollgateError);
    expect(error).toMatchObject({ code: 'ACCOUNT_NOT_FOUND', httpStatus: 404 });
    await expect(service.getSubscription({ userId: stranger.id, accountId })).rejects.toMatchObject({
      code: 'ACCOUNT_NOT_FOUND',
    });
  });
});

describe('a user token on a team account', () => {
  it("getAccountId sends X-Tollgate-Account: runs and the overview are the team's", async () => {
    const { member, accountId } = await paidTeam(50);
    let selected: string | null = accountId;
    const client = asUser(member, () => selected);

    await expect(client.authorizeRun({ runId: newRunId() })).resolves.toMatchObject({ used: 1, limit: 50 });
    await expect(client.getSubscription()).resolves.toMatchObject({ plan: 'ENTERPRISE', usage: { used: 1 } });

    selected = null; // switched back to the personal account
    await expect(client.getSubscription()).resolves.toMatchObject({ plan: 'FREE', usage: { used: 0 } });
    // Naming the team in the input works too; naming another account than the header's is a 400.
    await expect(client.authorizeRun({ accountId, runId: newRunId() })).resolves.toMatchObject({ used: 2 });
    selected = accountId;
    const { accountId: otherTeam } = await paidTeam();
    await expect(client.authorizeRun({ accountId: otherTeam, runId: newRunId() })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
    });
  });

  it("a team the user doesn't belong to: AccountError ACCOUNT_NOT_FOUND", async () => {
    const { accountId } = await paidTeam();
    const outsider = await tollgate.registerUser();
    const error = await rejectionOf(asUser(outsider, () => accountId).getSubscription());
    expect(error).toBeInstanceOf(AccountError);
    expect(error).toMatchObject({ code: 'ACCOUNT_NOT_FOUND', httpStatus: 404 });
  });
});

describe('account errors from the accounts.* procedures', () => {
  it('LAST_OWNER and INVITATION_INVALID map to AccountError through toTollgateError', async () => {
    const owner = await tollgate.registerUser();
    const accountId = await tollgate.createTeam(owner, []);
    const asOwner = asUser(owner);

    const lastOwner = toTollgateError(await rejectionOf(asOwner.trpc.accounts.leave.mutate({ accountId })));
    expect(lastOwner).toBeInstanceOf(AccountError);
    expect(lastOwner).toMatchObject({ code: 'LAST_OWNER', httpStatus: 409 });

    const invitation = await asOwner.trpc.accounts.invite.mutate({ accountId, email: 'x@tollgate.test' });
    const invalid = toTollgateError(
      await rejectionOf(
        asUser(await tollgate.registerUser()).trpc.accounts.acceptInvitation.mutate({
          accountId,
          invitationId: invitation.id,
          token: 'not-the-token',
        }),
      ),
    );
    expect(invalid).toBeInstanceOf(AccountError);
    expect(invalid).toMatchObject({ code: 'INVITATION_INVALID', httpStatus: 404 });
    expect(ACCOUNT_ERROR_CODES).toEqual(['ACCOUNT_NOT_FOUND', 'LAST_OWNER', 'INVITATION_INVALID']);
  });
});
