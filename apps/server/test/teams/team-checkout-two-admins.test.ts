import { subscriptions } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { request } from '../support/http';
import { registerVerifiedUser, verifyEmail } from '../support/test-server';
import { ACCOUNT_HEADER, addMembers, createTeam } from './team-support';

// Two admins of one team open Checkout: the team's Stripe customer is created under one idempotency
// key per account, so what it is created with must not depend on who calls (PGlite, or PostgreSQL
// with DATABASE_URL).

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterEach(() => billing.emulator.faults.clear());
afterAll(() => billing?.stop());

interface CheckoutBody {
  id?: string;
  error?: { code: string; message: string };
}

/** A team with a verified owner and a verified admin: their tokens. */
async function teamWithTwoAdmins(): Promise<{ accountId: string; owner: string; admin: string }> {
  const owner = await registerVerifiedUser(billing.server);
  const accountId = await createTeam(billing.server, owner, 'Two admins');
  const [admin] = await addMembers(billing.server, accountId, 1, 'admin');
  if (!admin) throw new Error('no admin added');
  await verifyEmail(billing.server, admin.id);
  return { accountId, owner: owner.accessToken, admin: admin.accessToken };
}

function checkout(accountId: string, token: string) {
  return request<CheckoutBody>(billing.server.url, 'POST', '/api/v1/billing/create-checkout-session', {
    token,
    headers: { [ACCOUNT_HEADER]: accountId },
    body: { plan: 'TEAM' },
  });
}

/** The account's Stripe customers (by metadata) and the one its subscription row links. */
async function customersOf(accountId: string): Promise<{ atStripe: string[]; linked: string | null }> {
  const found = await billing.stripe.customers.search({ query: `metadata['accountId']:'${accountId}'` });
  const [row] = await billing.server.testDb.db
    .select({ customer: subscriptions.stripeCustomerId })
    .from(subscriptions)
    .where(eq(subscriptions.accountId, accountId));
  return { atStripe: found.data.map(({ id }) => id), linked: row?.customer ?? null };
}

async function sessionCustomer(sessionId: string | undefined): Promise<string> {
  const session = await billing.stripe.checkout.sessions.retrieve(sessionId ?? '');
  return String(session.customer);
}

describe('two admins of one team opening Checkout', () => {
  it('at once, round after round: both get a session (201, 201), on one Stripe customer', async () => {
    for (let round = 0; round < 6; round += 1) {
      const { accountId, owner, admin } = await teamWithTwoAdmins();
      const answers = await Promise.all([checkout(accountId, owner), checkout(accountId, admin)]);
      expect(
        answers.map(({ status }) => status),
        `round ${round}: ${JSON.stringify(answers.map(({ body }) => body))}`,
      ).toEqual([201, 201]);
      const { atStripe, linked } = await customersOf(accountId);
      expect(atStripe).toHaveLength(1);
      expect(linked).toBe(atStripe[0]);
      for (const answer of answers) expect(await sessionCustomer(answer.body.id)).toBe(linked);
    }
  });

  it('after the owner’s customer was made but its answer lost, the admin’s checkout gets that customer', async () => {
    const { accountId, owner, admin } = await teamWithTwoAdmins();
    // Stripe creates the customer (and stores the idempotency key), then the answer never arrives,
    // through the SDK's own retries too: nothing is linked in the database.
    billing.emulator.faults.set({ method: 'POST', path: '/v1/customers', dropResponse: true });
    const lost = await checkout(accountId, owner);
    expect(lost.status, JSON.stringify(lost.body)).toBe(503);
    billing.emulator.faults.clear();
    const made = await customersOf(accountId);
    expect(made.atStripe).toHaveLength(1);
    expect(made.linked).toBeNull();

    const second = await checkout(accountId, admin);
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    const after = await customersOf(accountId);
    expect(after).toEqual({ atStripe: made.atStripe, linked: made.atStripe[0] });
    expect(await sessionCustomer(second.body.id)).toBe(made.atStripe[0]);
  });

  it('a customer made under the key with other parameters (the previous release, never linked) is found and used', async () => {
    const { accountId, owner } = await teamWithTwoAdmins();
    // What the previous release sent for a team: no email. Its answer was lost before the link.
    const orphan = await billing.stripe.customers.create(
      { metadata: { accountId } },
      { idempotencyKey: `tollgate-customer-account-${accountId}` },
    );
    const answer = await checkout(accountId, owner);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(await customersOf(accountId)).toEqual({ atStripe: [orphan.id], linked: orphan.id });
  });
});
