import { accounts, subscriptions } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout, portalAction } from '../support/hosted-pages';
import { trpc, type Tokens } from '../support/http';
import { registerOperator } from '../support/operators';
import { registerVerifiedUser } from '../support/test-server';
import { addMembers } from './team-support';

// A team's pool exists only as TEAM, billed per member. A team owner once switched a 3-seat TEAM
// subscription to BASIC in the Customer Portal (which offered every price): Tollgate kept TEAM's 2,000
// runs, seat sync failed forever on the item it could no longer find, and 10 members ran on 3 × $19.
// Now (a) the portal offers an account only its kind's plans, and (b) a subscription moved off TEAM's
// price anyway (in the dashboard) leaves the team with no plan, and nothing to sync for its seats.

const ACCOUNT_HEADER = 'x-tollgate-account';
const TEAM_RUN_LIMIT = 2000;

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer({ SEAT_SYNC_INTERVAL_SECONDS: '0' });
});
afterAll(() => billing?.stop());

function stripeBilling() {
  const services = billing.server.services.stripe;
  if (!services) throw new Error('no Stripe billing');
  return services;
}

/** Owner + `members` more, TEAM bought through Checkout (one seat each), webhooks through. */
async function teamOnTeamPlan(members: number) {
  const server = billing.server;
  const owner = await registerVerifiedUser(server);
  const created = await trpc<{ id: string }>(
    server.url,
    'mutation',
    'accounts.create',
    { name: 'Portal team' },
    owner.accessToken,
  );
  const teamId = created.data?.id ?? '';
  await addMembers(server, teamId, members);
  const team = new TeamCalls(owner, teamId);
  await team.buy();
  return team;
}

class TeamCalls {
  constructor(
    readonly owner: Tokens,
    readonly id: string,
  ) {}

  call<T = unknown>(kind: 'query' | 'mutation', path: string, input?: unknown) {
    return trpc<T>(billing.server.url, kind, path, input, this.owner.accessToken, {
      [ACCOUNT_HEADER]: this.id,
    });
  }

  async buy() {
    const session = await this.call<{ url: string }>('mutation', 'billing.createCheckoutSession', {
      plan: 'TEAM',
    });
    expect(session.status, JSON.stringify(session.error)).toBe(200);
    expect((await payCheckout(session.data?.url ?? '', CARDS.success)).status).toBe(303);
    await billing.emulator.webhooks.drain();
  }

  async portalUrl(): Promise<string> {
    const portal = await this.call<{ url: string }>('mutation', 'billing.createPortalSession', {});
    expect(portal.status).toBe(200);
    return portal.data?.url ?? '';
  }

  async overview() {
    const overview = await this.call('query', 'billing.subscription');
    expect(overview.status).toBe(200);
    return overview.data;
  }

  async rows() {
    const { db } = billing.server.testDb;
    const [subscription] = await db.select().from(subscriptions).where(eq(subscriptions.accountId, this.id));
    const [account] = await db.select().from(accounts).where(eq(accounts.id, this.id));
    if (!subscription || !account) throw new Error('team rows missing');
    return { subscription, account };
  }

  async stripeSubscription() {
    const { subscription } = await this.rows();
    return billing.stripe.subscriptions.retrieve(subscription.stripeSubscriptionId ?? '');
  }

  /** As a dashboard change would: the subscription's one item moved to another price. */
  async moveAtStripe(price: string) {
    const subscription = await this.stripeSubscription();
    const item = subscription.items.data[0];
    if (!item) throw new Error('no subscription item');
    await billing.stripe.subscriptions.update(subscription.id, { items: [{ id: item.id, price }] });
  }
}

/** The prices the hosted portal page offers to switch to. */
async function offeredPrices(portalUrl: string): Promise<string[]> {
  const html = await (await fetch(portalUrl)).text();
  return [...html.matchAll(/name="price" value="([^"]+)"/g)].map((match) => match[1] ?? '');
}

describe('(a) the Customer Portal offers an account only its own kind’s plans', () => {
  it('a TEAM subscription can’t be switched to BASIC in the portal: the team stays TEAM and keeps billing seats', async () => {
    const team = await teamOnTeamPlan(2);
    const url = await team.portalUrl();
    expect(await offeredPrices(url)).toEqual([]);
    await expect(
      portalAction(url, { action: 'switch', priceId: billing.emulator.prices.BASIC }),
    ).rejects.toThrow('no "switch" form');
    // The form posted by hand anyway: refused, nothing changes at Stripe.
    const forged = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'switch', price: billing.emulator.prices.BASIC }).toString(),
      redirect: 'manual',
    });
    expect(forged.status).toBe(400);
    await billing.emulator.webhooks.drain();

    // The prober's sequence goes on: 7 more members join, seat sync runs.
    await addMembers(billing.server, team.id, 7);
    expect(await stripeBilling().seats.syncAccount(team.id)).toBe('updated');
    await billing.emulator.webhooks.drain();
    expect(await team.overview()).toMatchObject({ plan: 'TEAM', usage: { limit: TEAM_RUN_LIMIT } });
    const item = (await team.stripeSubscription()).items.data[0];
    expect(item).toMatchObject({ price: { id: billing.emulator.prices.TEAM }, quantity: 10 });
    expect((await team.rows()).account.seatSyncError).toBeNull();
  });

  it('each kind reuses one configuration: every session names one of two', async () => {
    const first = await teamOnTeamPlan(0);
    const second = await teamOnTeamPlan(0);
    await first.portalUrl();
    await second.portalUrl();
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    await customer.portal({ action: 'update_card', cardNumber: CARDS.success });
    const state = (await (await fetch(`${billing.emulator.url}/_emulator/state`)).json()) as {
      portalSessions: { configuration: string }[];
    };
    const configurations = await billing.stripe.billingPortal.configurations.list({ limit: 100 });
    expect(configurations.data).toHaveLength(2);
    expect(new Set(state.portalSessions.map((session) => session.configuration))).toEqual(
      new Set(configurations.data.map((configuration) => configuration.id)),
    );
  });

  it('a personal account still switches BASIC → PRO in the portal, and is never offered TEAM', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const portal = await customer.call('mutation', 'billing.createPortalSession', {});
    expect(await offeredPrices(portal.data.url)).toEqual([billing.emulator.prices.PRO]);
    await customer.portal({ action: 'switch', priceId: billing.emulator.prices.PRO });
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { limit: 1000 } });
  });
});

describe('(b) a team subscription moved off TEAM’s price anyway (the dashboard) grants no plan', () => {
  it('moved to BASIC: no TEAM runs (NO_PLAN), admins see the price, seats have nothing to sync; buying TEAM again replaces it', async () => {
    const team = await teamOnTeamPlan(2);
    await team.moveAtStripe(billing.emulator.prices.BASIC);
    await billing.emulator.webhooks.drain();

    const overview = await team.overview();
    expect(overview).toMatchObject({ plan: 'FREE', usage: { limit: 0 } });
    const run = await team.call('mutation', 'usage.authorize', { runId: 'after-move-1' });
    expect(run.status).toBe(402);
    expect(JSON.stringify(run.error)).toContain('NO_PLAN');

    const admin = await registerOperator(billing.server);
    const listed = await trpc<unknown[]>(
      billing.server.url,
      'query',
      'admin.unknownPrices',
      undefined,
      admin.accessToken,
    );
    expect(listed.data).toContainEqual(
      expect.objectContaining({
        accountId: team.id,
        plan: 'FREE',
        unknownStripePriceId: billing.emulator.prices.BASIC,
      }),
    );

    // Members keep joining: nothing to sync, and no error (it used to throw "no seat-priced item").
    await addMembers(billing.server, team.id, 7);
    expect(await stripeBilling().seats.syncAccount(team.id)).toBe('not_seat_priced');
    expect(await stripeBilling().seats.syncDrifted()).toEqual({ checked: 0, updated: 0, failed: 0 });
    expect((await team.rows()).account.seatSyncError).toBeNull();

    // The way back is Checkout (the team has no paid plan): the new TEAM subscription, one seat per
    // member, replaces the BASIC one.
    const moved = await team.stripeSubscription();
    await team.buy();
    expect(await team.overview()).toMatchObject({ plan: 'TEAM', usage: { limit: TEAM_RUN_LIMIT } });
    const current = await team.stripeSubscription();
    expect(current.id).not.toBe(moved.id);
    expect(current.items.data[0]).toMatchObject({
      price: { id: billing.emulator.prices.TEAM },
      quantity: 10,
    });
    expect((await billing.stripe.subscriptions.retrieve(moved.id)).status).toBe('canceled');
    expect((await team.rows()).subscription.unknownStripePriceId).toBeNull();
  });

  it('seat sync racing the webhook: it finds no seat item, stores what Stripe has, reports nothing to sync', async () => {
    const team = await teamOnTeamPlan(2);
    billing.emulator.webhooks.pause();
    try {
      await team.moveAtStripe(billing.emulator.prices.PRO);
      await addMembers(billing.server, team.id, 1);
      // Still TEAM in the database (the webhook is held): the pass reaches Stripe and finds PRO.
      expect((await team.rows()).subscription.plan).toBe('TEAM');
      expect(await stripeBilling().seats.syncAccount(team.id)).toBe('not_seat_priced');
      const { subscription, account } = await team.rows();
      expect(subscription).toMatchObject({ plan: 'FREE', unknownStripePriceId: billing.emulator.prices.PRO });
      expect(account.seatSyncError).toBeNull();
      expect((await team.stripeSubscription()).items.data[0]?.quantity).toBe(3);
    } finally {
      await billing.emulator.webhooks.drain();
    }
    expect(await team.overview()).toMatchObject({ plan: 'FREE', usage: { limit: 0 } });
  });
});
