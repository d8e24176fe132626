import { accountMemberships, accounts, subscriptions, usagePeriods } from '@tollgate/db';
import { and, eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/env';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { trpc, type Tokens } from '../support/http';
import { registerVerifiedUser } from '../support/test-server';

// TEAM seats over HTTP against the real server and the Stripe emulator: the subscription item's
// quantity follows the team's member count (prorated by Stripe), seats buy no runs, and a quantity
// that drifted (a failed call, a hand edit in the dashboard) is set back by the next pass.
const ACCOUNT_HEADER = 'x-tollgate-account';
const SUCCESS_CARD = '4242424242424242';
const TEAM_RUN_LIMIT = 2000;

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`${what} missing`);
  return value;
}

function stripeOf(billing: BillingTestServer) {
  return present(billing.server.services.stripe, 'Stripe billing');
}

/** One team with its owner, driven over HTTP, and what Stripe and the database say about its seats. */
class Team {
  private constructor(
    readonly billing: BillingTestServer,
    readonly owner: Tokens,
    readonly id: string,
  ) {}

  static async create(billing: BillingTestServer): Promise<Team> {
    const owner = await registerVerifiedUser(billing.server);
    const created = await trpc<{ id: string }>(
      billing.server.url,
      'mutation',
      'accounts.create',
      { name: 'Seats team' },
      owner.accessToken,
    );
    expect(created.status).toBe(200);
    return new Team(billing, owner, created.data?.id ?? '');
  }

  call(kind: 'query' | 'mutation', path: string, input?: unknown, token = this.owner.accessToken) {
    return trpc(this.billing.server.url, kind, path, input, token, { [ACCOUNT_HEADER]: this.id });
  }

  async buy() {
    const session = await this.call('mutation', 'billing.createCheckoutSession', { plan: 'TEAM' });
    expect(session.status).toBe(200);
    expect((await payCheckout(session.data.url, SUCCESS_CARD)).status).toBe(303);
    await this.billing.emulator.webhooks.drain();
  }

  async invite(member: Tokens) {
    const invited = await trpc<{ id: string; token: string }>(
      this.billing.server.url,
      'mutation',
      'accounts.invite',
      { accountId: this.id, email: member.user.email, role: 'member' },
      this.owner.accessToken,
    );
    expect(invited.status).toBe(200);
    if (!invited.data) throw new Error('no invitation');
    return invited.data;
  }

  async accept(member: Tokens, invitation: { id: string; token: string }) {
    const accepted = await trpc(
      this.billing.server.url,
      'mutation',
      'accounts.acceptInvitation',
      { accountId: this.id, invitationId: invitation.id, token: invitation.token },
      member.accessToken,
    );
    expect(accepted.status).toBe(200);
  }

  async remove(member: Tokens) {
    const removed = await trpc(
      this.billing.server.url,
      'mutation',
      'accounts.removeMember',
      { accountId: this.id, userId: member.user.id },
      this.owner.accessToken,
    );
    expect(removed.status).toBe(200);
  }

  async members(): Promise<number> {
    const listed = await trpc<unknown[]>(
      this.billing.server.url,
      'query',
      'accounts.members',
      { accountId: this.id },
      this.owner.accessToken,
    );
    return listed.data?.length ?? -1;
  }

  async row() {
    const { db } = this.billing.server.testDb;
    const [subscription] = await db.select().from(subscriptions).where(eq(subscriptions.accountId, this.id));
    const [account] = await db.select().from(accounts).where(eq(accounts.id, this.id));
    if (!subscription || !account) throw new Error('team rows missing');
    return { subscription, account };
  }

  async subscriptionId(): Promise<string> {
    const { subscription } = await this.row();
    if (!subscription.stripeSubscriptionId) throw new Error('no Stripe subscription');
    return subscription.stripeSubscriptionId;
  }

  async stripeItem(): Promise<Stripe.SubscriptionItem> {
    const subscription = await this.billing.stripe.subscriptions.retrieve(await this.subscriptionId());
    const [item] = subscription.items.data;
    if (!item) throw new Error('no subscription item');
    return item;
  }

  /** Waits (bounded) until Stripe's item and the stored confirmed quantity are both `quantity`. */
  async seatsSettle(quantity: number) {
    await until(`${quantity} seats at Stripe and stored`, async () => {
      const [item, { subscription }] = await Promise.all([this.stripeItem(), this.row()]);
      return item.quantity === quantity && subscription.stripeQuantity === quantity;
    });
  }

  async periods() {
    const { db } = this.billing.server.testDb;
    const rows = await db.select().from(usagePeriods).where(eq(usagePeriods.accountId, this.id));
    return rows.map((row) => ({ start: row.periodStart.toISOString(), limit: row.runLimit, used: row.used }));
  }
}

describe('TEAM seats follow the member count', () => {
  let billing: BillingTestServer;
  let team: Team;
  let customerId: string;
  let unitAmount: number;
  const members: Tokens[] = [];
  const quantities: number[] = [];
  let periodsBefore: Awaited<ReturnType<Team['periods']>>;

  beforeAll(async () => {
    // The worker is off here: every pass in these tests is the one the test makes.
    billing = await startBillingTestServer({ SEAT_SYNC_INTERVAL_SECONDS: '0' });
    unitAmount = (await billing.stripe.prices.retrieve(billing.emulator.prices.TEAM)).unit_amount ?? 0;
  });
  afterAll(() => billing?.stop());

  it('TEAM is for team accounts only, and BASIC/PRO for personal ones (400)', async () => {
    team = await Team.create(billing);
    const personal = await trpc(
      billing.server.url,
      'mutation',
      'billing.createCheckoutSession',
      { plan: 'TEAM' },
      team.owner.accessToken,
    );
    expect(personal.status).toBe(400);
    expect(personal.error?.message).toMatch(/team/);
    for (const plan of ['BASIC', 'PRO']) {
      const refused = await team.call('mutation', 'billing.createCheckoutSession', { plan });
      expect(refused.status, plan).toBe(400);
    }
    expect((await team.row()).subscription.stripeCustomerId).toBeNull();
  });

  it('a team owner buys TEAM through Checkout: one seat per member (the owner alone: 1)', async () => {
    await team.buy();
    const { subscription } = await team.row();
    expect(subscription).toMatchObject({ plan: 'TEAM', status: 'active', stripeQuantity: 1 });
    const item = await team.stripeItem();
    expect(item.quantity).toBe(await team.members());
    expect(item.price.id).toBe(billing.emulator.prices.TEAM);
    quantities.push(item.quantity ?? 0);
    customerId = subscription.stripeCustomerId ?? '';
    const overview = await team.call('query', 'billing.subscription');
    expect(overview.data).toMatchObject({ plan: 'TEAM', usage: { limit: TEAM_RUN_LIMIT, used: 0 } });
    const run = await team.call('mutation', 'usage.authorize', { runId: 'seat-run-1' });
    expect(run.data).toMatchObject({ plan: 'TEAM', used: 1, limit: TEAM_RUN_LIMIT });
    periodsBefore = await team.periods();
    expect(periodsBefore).toEqual([expect.objectContaining({ limit: TEAM_RUN_LIMIT, used: 1 })]);
  });

  it('invite 3 (no seat yet), accept 3 one by one: the quantity follows 1 → 2 → 3 → 4', async () => {
    for (let i = 0; i < 3; i += 1) members.push(await registerVerifiedUser(billing.server));
    const invitations: { id: string; token: string }[] = [];
    for (const member of members) invitations.push(await team.invite(member));
    // Pending invitations are no seats.
    expect((await team.stripeItem()).quantity).toBe(1);
    expect((await team.row()).subscription.stripeQuantity).toBe(1);

    await team.accept(present(members[0], 'member'), present(invitations[0], 'invitation'));
    await team.seatsSettle(2);
    quantities.push(2);

    // The next change's sync is slowed at Stripe, and the same membership version is synced twice more
    // at once: the three calls send one key, so Stripe makes one change (one pair of prorations).
    const seats = stripeOf(billing).seats;
    const slow = billing.emulator.faults.set({
      method: 'POST',
      path: '/v1/subscriptions/:id',
      latencyMs: 800,
    });
    await team.accept(present(members[1], 'member'), present(invitations[1], 'invitation'));
    const outcomes = await Promise.all([seats.syncAccount(team.id), seats.syncAccount(team.id)]);
    expect(outcomes.every((outcome) => outcome === 'updated' || outcome === 'in_sync')).toBe(true);
    await team.seatsSettle(3);
    const hits = billing.emulator.faults.list().find((fault) => fault.id === slow.id)?.hits ?? 0;
    expect(hits).toBeGreaterThanOrEqual(2); // at least two passes did reach Stripe's update
    billing.emulator.faults.clear();
    quantities.push(3);

    await team.accept(present(members[2], 'member'), present(invitations[2], 'invitation'));
    await team.seatsSettle(4);
    quantities.push(4);
    expect(await team.members()).toBe(4);
    expect(await seats.syncAccount(team.id)).toBe('in_sync'); // a later pass of the same version: nothing
  });

  it('a failing Stripe call leaves seat_sync_error set and loses nothing; the next pass repairs it', async () => {
    billing.emulator.faults.set({
      method: 'POST',
      path: '/v1/subscriptions/:id',
      status: 500,
      shouldRetry: false,
      times: 1,
    });
    await team.remove(present(members[2], 'member'));
    const failed = await until('the seat sync failure to be recorded', async () => {
      const { account } = await team.row();
      return account.seatSyncError;
    });
    expect(failed).toMatch(/500|Injected/);
    // The removal itself stands; Stripe and the stored quantity still say 4.
    expect(await team.members()).toBe(3);
    expect((await team.stripeItem()).quantity).toBe(4);
    expect((await team.row()).subscription.stripeQuantity).toBe(4);

    const pass = await stripeOf(billing).seats.syncDrifted();
    expect(pass).toEqual({ checked: 1, updated: 1, failed: 0 });
    await team.seatsSettle(3);
    expect((await team.row()).account.seatSyncError).toBeNull();
    quantities.push(3);
    expect(quantities).toEqual([1, 2, 3, 4, 3]);
    expect(await stripeOf(billing).seats.syncDrifted()).toEqual({ checked: 0, updated: 0, failed: 0 });
  });

  it('seats buy no runs: the period row keeps its start and 2,000 limit, no new period', async () => {
    expect(await team.periods()).toEqual(periodsBefore);
    const overview = await team.call('query', 'billing.subscription');
    expect(overview.data).toMatchObject({ plan: 'TEAM', usage: { limit: TEAM_RUN_LIMIT, used: 1 } });
    expect(new Date(overview.data.usage.periodStart).toISOString()).toBe(periodsBefore[0]?.start);
  });

  it('one pair of proration items per membership change, on the renewal invoice, at the emulator’s amounts', async () => {
    const pending = [
      ...(await billing.stripe.invoiceItems.list({ customer: customerId, pending: true, limit: 100 })).data,
    ].reverse();
    // 4 changes (1→2, 2→3, 3→4, 4→3): a credit at the old quantity and a charge at the new one each.
    expect(pending.map((item) => item.quantity)).toEqual([1, 2, 2, 3, 3, 4, 4, 3]);
    expect(pending.map((item) => Math.sign(item.amount))).toEqual([-1, 1, -1, 1, -1, 1, -1, 1]);

    const item = await team.stripeItem();
    const periodSeconds = item.current_period_end - item.current_period_start;
    const expectedAmount = (quantity: number, period: { start: number; end: number }) =>
      Math.round((unitAmount * quantity * (period.end - period.start)) / periodSeconds);

    await billing.emulator.clock.advance(
      item.current_period_end - Math.floor(billing.emulator.clock.now().getTime() / 1000) + 60,
    );
    await billing.emulator.webhooks.drain();
    const renewed = await billing.stripe.subscriptions.retrieve(await team.subscriptionId(), {
      expand: ['latest_invoice'],
    });
    const invoice = renewed.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid' });
    const lines = invoice.lines.data;
    const prorations = lines.filter((line) => line.parent?.subscription_item_details?.proration === true);
    expect(prorations).toHaveLength(8);
    expect(prorations.map((line) => line.parent?.subscription_item_details?.invoice_item)).toEqual(
      pending.map((ii) => ii.id),
    );
    for (const line of prorations) {
      const sign = line.amount < 0 ? -1 : 1;
      expect(line.amount).toBe(sign * expectedAmount(line.quantity ?? 0, line.period));
      expect(line.period.end).toBe(item.current_period_end);
    }
    const cycle = lines.filter((line) => line.parent?.subscription_item_details?.proration === false);
    expect(cycle.map((line) => [line.quantity, line.amount])).toEqual([[3, 3 * unitAmount]]);
    const prorated = prorations.reduce((sum, line) => sum + line.amount, 0);
    expect(invoice.subtotal).toBe(3 * unitAmount + prorated);
    expect((await billing.stripe.invoiceItems.list({ customer: customerId, pending: true })).data).toEqual(
      [],
    );
    // The new period is TEAM's 2,000 runs again, whatever the seats.
    const overview = await team.call('query', 'billing.subscription');
    expect(overview.data).toMatchObject({ plan: 'TEAM', usage: { limit: TEAM_RUN_LIMIT, used: 0 } });
  });

  it('reconciliation sets a quantity edited by hand in the dashboard back to the member count', async () => {
    const subscriptionId = await team.subscriptionId();
    const item = await team.stripeItem();
    // As in the dashboard: no proration, and its webhook tells Tollgate Stripe now has 7 seats.
    await billing.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: item.id, quantity: 7 }],
      proration_behavior: 'none',
    });
    await billing.emulator.webhooks.drain();
    expect((await team.row()).subscription.stripeQuantity).toBe(7);

    const report = await stripeOf(billing).reconcile();
    expect(report.failures).toEqual([]);
    expect(report.accountsCorrected).toBeGreaterThanOrEqual(1);
    expect((await team.stripeItem()).quantity).toBe(3);
    expect((await team.row()).subscription.stripeQuantity).toBe(3);
    expect(await team.members()).toBe(3);
    const second = await stripeOf(billing).reconcile();
    expect(second.accountsCorrected).toBe(0);
  });

  it('a member gone without a membership version bump (a cascade) is still synced, under a key of its own', async () => {
    const { db } = billing.server.testDb;
    const { account } = await team.row();
    const gone = present(members[1], 'member');
    await db
      .delete(accountMemberships)
      .where(and(eq(accountMemberships.accountId, team.id), eq(accountMemberships.userId, gone.user.id)));
    expect((await team.row()).account.membershipVersion).toBe(account.membershipVersion);
    // The version's key was used for 3 seats: Stripe refuses it for 2, and the count goes under a fresh key.
    expect(await stripeOf(billing).seats.syncDrifted()).toEqual({ checked: 1, updated: 1, failed: 0 });
    await team.seatsSettle(2);
    expect((await team.row()).account.seatSyncError).toBeNull();
  });
});

describe('the seat sync worker', () => {
  it('SEAT_SYNC_INTERVAL_SECONDS: default 60, 0 turns it off, negative refused', () => {
    const base = { JWT_SECRET: 'x'.repeat(32) };
    expect(parseEnv(base).SEAT_SYNC_INTERVAL_SECONDS).toBe(60);
    expect(parseEnv({ ...base, SEAT_SYNC_INTERVAL_SECONDS: '0' }).SEAT_SYNC_INTERVAL_SECONDS).toBe(0);
    expect(() => parseEnv({ ...base, SEAT_SYNC_INTERVAL_SECONDS: '-1' })).toThrow(
      /SEAT_SYNC_INTERVAL_SECONDS/,
    );
  });

  it('with a short interval, repairs a drifted account without any membership change', async () => {
    const billing = await startBillingTestServer({ SEAT_SYNC_INTERVAL_SECONDS: '1' });
    try {
      const team = await Team.create(billing);
      const member = await registerVerifiedUser(billing.server);
      await team.accept(member, await team.invite(member));
      await team.buy();
      expect((await team.row()).subscription.stripeQuantity).toBe(2);
      const item = await team.stripeItem();
      await billing.stripe.subscriptions.update(await team.subscriptionId(), {
        items: [{ id: item.id, quantity: 5 }],
        proration_behavior: 'none',
      });
      await billing.emulator.webhooks.drain();
      // Nobody joins or leaves: the worker alone sets it back.
      await until('the worker to restore 2 seats', async () => {
        const [current, { subscription }] = await Promise.all([team.stripeItem(), team.row()]);
        return current.quantity === 2 && subscription.stripeQuantity === 2;
      });
      expect(await team.members()).toBe(2);
    } finally {
      await billing.stop();
    }
  });
});

describe('the seat sync pass walks every drifted account', () => {
  it('an account that fails every time does not keep the ones after it waiting', async () => {
    const billing = await startBillingTestServer({ SEAT_SYNC_INTERVAL_SECONDS: '0' });
    try {
      const teams = [await Team.create(billing), await Team.create(billing)];
      for (const team of teams) {
        await team.buy();
        const item = await team.stripeItem();
        // Drifted by hand in the dashboard: 5 seats at Stripe for 1 member.
        await billing.stripe.subscriptions.update(await team.subscriptionId(), {
          items: [{ id: item.id, quantity: 5 }],
          proration_behavior: 'none',
        });
      }
      await billing.emulator.webhooks.drain();
      const [first, second] = [...teams].sort((a, b) => a.id.localeCompare(b.id));
      if (!first || !second) throw new Error('two teams');
      // Stripe can't serve the first account's subscription, whatever the pass does.
      billing.emulator.faults.set({
        method: 'GET',
        path: `/v1/subscriptions/${await first.subscriptionId()}`,
        status: 400,
      });
      // One account per page: the failing one fills the first page.
      expect(await stripeOf(billing).seats.syncDrifted(1)).toEqual({ checked: 2, updated: 1, failed: 1 });
      expect((await second.stripeItem()).quantity).toBe(1);
    } finally {
      await billing.stop();
    }
  });
});
