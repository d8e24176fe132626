import { addMember } from '@tollgate/db';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { registerUser, request, trpc, uniqueEmail, type Tokens } from '../support/http';
import { TEST_JWT_SECRET } from '../support/test-server';
import { NO_OUTBOX_WORKER, linkFor, tokenOf } from './email-support';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer(NO_OUTBOX_WORKER);
});
afterAll(() => billing?.stop());

const ACCOUNT_HEADER = 'x-tollgate-account';
const NOT_VERIFIED_MESSAGE =
  'Verify your email address first: we sent you a link. You can ask for a new one in the app.';

const url = () => billing.server.url;

function checkout(token: string, plan = 'PRO', headers: Record<string, string> = {}) {
  return request<{ url?: string; error?: { code: string; message: string } }>(
    url(),
    'POST',
    '/api/v1/billing/create-checkout-session',
    { token, body: { plan }, headers },
  );
}

function trial(token: string) {
  return request<{ plan?: string; error?: { code: string; message: string } }>(
    url(),
    'POST',
    '/api/v1/billing/activate-trial',
    { token },
  );
}

/** Follows the emailed link, as the user would. */
async function clickVerificationLink(email: string): Promise<void> {
  const token = tokenOf(await linkFor(billing.server, email, 'verify_email'));
  const verified = await trpc(url(), 'mutation', 'auth.verifyEmail', { token });
  expect(verified.status).toBe(200);
}

async function signUp(prefix: string): Promise<Tokens & { email: string }> {
  const email = uniqueEmail(prefix);
  return { ...(await registerUser(url(), email)), email };
}

describe('trials and checkout need a verified email', () => {
  it('an unverified user: 403 EMAIL_NOT_VERIFIED for checkout and trial (REST and tRPC); FREE still works', async () => {
    const user = await signUp('unverified');
    for (const result of [await checkout(user.accessToken), await trial(user.accessToken)]) {
      expect(result.status).toBe(403);
      expect(result.body.error).toEqual({ code: 'EMAIL_NOT_VERIFIED', message: NOT_VERIFIED_MESSAGE });
    }
    const viaTrpc = await trpc(url(), 'mutation', 'billing.activateTrial', undefined, user.accessToken);
    expect(viaTrpc.status).toBe(403);
    expect(viaTrpc.error?.data.appCode).toBe('EMAIL_NOT_VERIFIED');

    // Everything else works: the subscription, and FREE runs (they need no verification).
    const overview = await trpc(url(), 'query', 'billing.subscription', undefined, user.accessToken);
    expect(overview.data).toMatchObject({ plan: 'FREE' });
    const run = await trpc(url(), 'mutation', 'usage.authorize', { runId: 'free-run-1' }, user.accessToken);
    expect(run.status, JSON.stringify(run.error)).toBe(200);
  });

  it('after following the link: checkout and trial are allowed', async () => {
    const user = await signUp('verified');
    await clickVerificationLink(user.email);
    const session = await checkout(user.accessToken);
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    expect(session.body.url).toBeTruthy();
    const started = await trial(user.accessToken);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
  });

  it('on a team account the check is on the calling user', async () => {
    const owner = await signUp('team-owner');
    await clickVerificationLink(owner.email);
    const created = await trpc<{ id: string }>(
      url(),
      'mutation',
      'accounts.create',
      { name: 'Gate' },
      owner.accessToken,
    );
    const accountId = created.data?.id ?? '';
    const admin = await signUp('team-admin');
    await addMember(billing.server.testDb.db, {
      accountId,
      userId: admin.user.id,
      role: 'admin',
      now: new Date(),
    });

    const refused = await checkout(admin.accessToken, 'TEAM', { [ACCOUNT_HEADER]: accountId });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('EMAIL_NOT_VERIFIED');

    const allowed = await checkout(owner.accessToken, 'TEAM', { [ACCOUNT_HEADER]: accountId });
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(201);
  });

  it("a host platform's user passes (the platform vouches for them)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      iss: 'https://host.example',
      sub: 'host-gate-user',
      iat: now,
      exp: now + 600,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const me = await trpc(url(), 'query', 'auth.me', undefined, token);
    expect(me.data).toMatchObject({ emailVerified: true });
    const session = await checkout(token);
    expect(session.status, JSON.stringify(session.body)).toBe(201);
  });
});
