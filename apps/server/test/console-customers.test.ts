import { accountSpendSettings, accounts, personalAccountId, subscriptions, usagePeriods } from '@tollgate/db';
import type { PlanId, SubscriptionStatus } from '@tollgate/domain';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from './billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from './support/billing-server';
import { registerUser, trpc, type Tokens } from './support/http';
import { registerOperator, registerSupport } from './support/operators';
import { registerVerifiedUser } from './support/test-server';

let billing: BillingTestServer;
let operator: Tokens;
let support: Tokens;
beforeAll(async () => {
  billing = await startBillingTestServer();
  operator = await registerOperator(billing.server);
  support = await registerSupport(billing.server);
});
afterAll(() => billing?.stop());

const DAY_MS = 86_400_000;

interface Fixture {
  key: string;
  plan: PlanId;
  status: SubscriptionStatus;
  used: number | null;
  limit: number;
  overage: boolean;
  name: string | null;
}

/** A dozen accounts: plans, statuses, usage and overage all differ. */
function fixtures(tag: string): Fixture[] {
  const rows: [PlanId, SubscriptionStatus, number | null, number, boolean, string | null][] = [
    ['FREE', 'active', null, 10, false, null],
    ['FREE', 'active', 9, 10, false, `${tag} 50%_done`],
    ['FREE', 'active', 3, 10, true, `${tag} 50xxdone`],
    ['BASIC', 'active', 80, 100, false, `${tag} back\\slash`],
    ['BASIC', 'past_due', 79, 100, true, null],
    ['BASIC', 'active', 0, 100, false, null],
    ['PRO', 'active', 500, 1000, true, null],
    ['PRO', 'past_due', 999, 1000, false, null],
    ['PRO', 'trialing', 100, 1000, false, null],
    ['TRIAL', 'trialing', 50, 50, false, null],
    ['FREE', 'canceled', 1, 10, false, null],
    ['ENTERPRISE', 'active', 0, 0, true, null],
  ];
  return rows.map(([plan, status, used, limit, overage, name], index) => ({
    key: `c-${tag}-${String(index).padStart(2, '0')}`,
    plan,
    status,
    used,
    limit,
    overage,
    name,
  }));
}

/** Registers the accounts and writes their plan, usage and settings straight into the database. */
async function seed(tag: string) {
  const { db } = billing.server.testDb;
  const now = billing.server.deps.now();
  const made: (Fixture & { accountId: string; email: string })[] = [];
  for (const [index, fixture] of fixtures(tag).entries()) {
    const email = `${fixture.key}@example.test`;
    const tokens = await registerUser(billing.server.url, email);
    const accountId = personalAccountId(tokens.user.id);
    await db
      .update(accounts)
      .set({ name: fixture.name, createdAt: new Date(now.getTime() - (100 - index) * 60_000) })
      .where(eq(accounts.id, accountId));
    await db
      .update(subscriptions)
      .set({
        plan: fixture.plan,
        status: fixture.status,
        customRunLimit: fixture.plan === 'ENTERPRISE' ? 0 : null,
      })
      .where(eq(subscriptions.accountId, accountId));
    if (fixture.used !== null) {
      await db.insert(usagePeriods).values({
        accountId,
        periodStart: new Date(now.getTime() - DAY_MS),
        periodEnd: new Date(now.getTime() + 29 * DAY_MS),
        used: fixture.used,
        runLimit: fixture.limit,
      });
    }
    if (fixture.overage) await db.insert(accountSpendSettings).values({ accountId, overageEnabled: true });
    made.push({ ...fixture, accountId, email });
  }
  return made;
}

type Row = {
  accountId: string;
  ownerEmail: string;
  plan: PlanId;
  status: SubscriptionStatus;
  used: number;
  limit: number;
  usageBasisPoints: number | null;
  overageEnabled: boolean;
  isPastDue: boolean;
  createdAt: string;
};
type Page = { total: number; page: number; pageSize: number; rows: Row[] };

async function search(input: Record<string, unknown>, token = operator.accessToken) {
  return trpc<Page>(billing.server.url, 'query', 'admin.customers', input, token);
}

async function searchOk(input: Record<string, unknown>) {
  const result = await search(input);
  expect(result.status, JSON.stringify(result.error)).toBe(200);
  if (!result.data) throw new Error('no page');
  return result.data;
}

const emailsOf = (page: Page) => page.rows.map((row) => row.ownerEmail);

describe('admin.customers: search, filter, sort and page on the server', () => {
  let tag: string;
  let seeded: Awaited<ReturnType<typeof seed>>;
  beforeAll(async () => {
    tag = `s${Date.now().toString(36)}`;
    seeded = await seed(tag);
  });
  const emails = (predicate: (fixture: (typeof seeded)[number]) => boolean) =>
    seeded
      .filter(predicate)
      .map((fixture) => fixture.email)
      .sort();

  it('finds the owner by part of the email; each row carries plan, status, usage and overage', async () => {
    const page = await searchOk({ query: `C-${tag}`.toUpperCase(), pageSize: 100 });
    expect(page.total).toBe(12);
    expect(emailsOf(page).sort()).toEqual(emails(() => true));
    const basic = page.rows.find((row) => row.ownerEmail === seeded[3]?.email);
    expect(basic).toMatchObject({
      plan: 'BASIC',
      status: 'active',
      used: 80,
      limit: 100,
      usageBasisPoints: 8000,
      overageEnabled: false,
      isPastDue: false,
    });
    // No period row yet: nothing used, the plan's limit.
    expect(page.rows.find((row) => row.ownerEmail === seeded[0]?.email)).toMatchObject({
      used: 0,
      limit: 10,
      usageBasisPoints: 0,
    });
    // A limit of 0 has no percentage.
    expect(page.rows.find((row) => row.ownerEmail === seeded[11]?.email)?.usageBasisPoints).toBeNull();
  });

  it('filters by plans, statuses, past due, near the limit (≥ 80 %) and overage', async () => {
    const base = { query: `c-${tag}`, pageSize: 100 };
    const filtered = async (input: Record<string, unknown>) =>
      emailsOf(await searchOk({ ...base, ...input })).sort();
    expect(await filtered({ plans: ['PRO', 'TRIAL'] })).toEqual(
      emails((f) => f.plan === 'PRO' || f.plan === 'TRIAL'),
    );
    expect(await filtered({ statuses: ['trialing'] })).toEqual(emails((f) => f.status === 'trialing'));
    expect(await filtered({ pastDueOnly: true })).toEqual(emails((f) => f.status === 'past_due'));
    expect(await filtered({ nearLimitOnly: true })).toEqual(
      emails((f) => f.limit > 0 && (f.used ?? 0) * 10 >= f.limit * 8),
    );
    expect(await filtered({ overageOnly: true })).toEqual(emails((f) => f.overage));
    expect(await filtered({ plans: ['BASIC'], overageOnly: true, pastDueOnly: true })).toEqual([
      seeded[4]?.email,
    ]);
  });

  it('sorts by email, creation, plan and usage (nulls last), both ways, ties broken by account id', async () => {
    const base = { query: `c-${tag}`, pageSize: 100 };
    const all = emails(() => true);
    expect(emailsOf(await searchOk({ ...base, sort: 'email', direction: 'asc' }))).toEqual(all);
    expect(emailsOf(await searchOk({ ...base, sort: 'email', direction: 'desc' }))).toEqual(
      [...all].reverse(),
    );
    // Created one minute apart, in fixture order.
    const byCreation = seeded.map((fixture) => fixture.email);
    expect(emailsOf(await searchOk({ ...base, sort: 'created', direction: 'asc' }))).toEqual(byCreation);
    expect(emailsOf(await searchOk({ ...base, sort: 'created' }))).toEqual([...byCreation].reverse());
    const byPlan = (await searchOk({ ...base, sort: 'plan', direction: 'asc' })).rows;
    const catalog = ['FREE', 'TRIAL', 'BASIC', 'PRO', 'TEAM', 'ENTERPRISE'];
    const planRanks = byPlan.map((row) => catalog.indexOf(row.plan));
    expect(planRanks).toEqual([...planRanks].sort((a, b) => a - b));
    const ties = byPlan.filter((row) => row.plan === 'FREE').map((row) => row.accountId);
    expect(ties).toEqual([...ties].sort());
    for (const direction of ['asc', 'desc'] as const) {
      const rows = (await searchOk({ ...base, sort: 'usage', direction })).rows;
      expect(rows.at(-1)?.usageBasisPoints).toBeNull();
      const points = rows.flatMap((row) => (row.usageBasisPoints === null ? [] : [row.usageBasisPoints]));
      const sorted = [...points].sort((a, b) => (direction === 'asc' ? a - b : b - a));
      expect(points).toEqual(sorted);
    }
  });

  it('pages without duplicates or gaps; a page past the end is empty with the total', async () => {
    const seen: string[] = [];
    for (let page = 1; page <= 3; page += 1) {
      const result = await searchOk({ query: `c-${tag}`, sort: 'usage', pageSize: 5, page });
      expect(result).toMatchObject({ total: 12, page, pageSize: 5 });
      seen.push(...result.rows.map((row) => row.accountId));
    }
    expect(seen).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);
    expect((await searchOk({ query: `c-${tag}`, pageSize: 5, page: 4 })).rows).toEqual([]);
    expect((await searchOk({ query: `c-${tag}`, pageSize: 5, page: 4 })).total).toBe(12);
  });

  it('matches %, _ and \\ literally, and a whole account id exactly', async () => {
    expect(emailsOf(await searchOk({ query: `${tag} 50%_` }))).toEqual([seeded[1]?.email]);
    expect(emailsOf(await searchOk({ query: `${tag} back\\` }))).toEqual([seeded[3]?.email]);
    expect((await searchOk({ query: `${tag} 5_%` })).total).toBe(0);
    const target = seeded[6];
    expect((await searchOk({ query: target?.accountId })).rows.map((row) => row.accountId)).toEqual([
      target?.accountId,
    ]);
  });

  it('support reads it; an account owner gets 403; bad input is a 400', async () => {
    expect((await search({ query: `c-${tag}` }, support.accessToken)).status).toBe(200);
    const owner = await registerVerifiedUser(billing.server);
    expect((await search({}, owner.accessToken)).status).toBe(403);
    expect((await search({ pageSize: 101 })).status).toBe(400);
    expect((await search({ sort: 'owner' })).status).toBe(400);
    expect((await search({ page: 0 })).status).toBe(400);
  });
});

type Detail = {
  account: { id: string; ownerEmail: string; kind: string };
  subscription: { plan: PlanId; status: SubscriptionStatus; stripeCustomerId: string | null };
  members: { userId: string; email: string; role: string }[];
  balance: { allowance: { plan: PlanId; limit: number; used: number }; creditsRemaining: number };
  spend: { overage: { enabled: boolean }; cap: unknown; operatorCap: unknown };
  usagePerDay: { day: string; runs: number }[];
  invoices: { id: string; status: string | null; totalCents: number; currency: string }[] | null;
  timeline: { at: string; kind: string; summary: string; actor: string | null }[];
};

async function detail(accountId: string, token = operator.accessToken) {
  return trpc<Detail>(billing.server.url, 'query', 'admin.customer', { accountId }, token);
}

describe('admin.customer: everything about one account', () => {
  it('a subscribed customer: members, balance, runs per day, invoices from Stripe, the timeline', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const accountId = personalAccountId(customer.userId);
    const granted = await trpc(
      billing.server.url,
      'mutation',
      'admin.grantCredits',
      { accountId, units: 7, expiresAt: null, reason: 'sorry for the outage' },
      operator.accessToken,
    );
    expect(granted.status).toBe(200);
    for (const runId of ['d-1', 'd-2', 'd-3']) {
      expect((await customer.call('mutation', 'usage.authorize', { runId })).status).toBe(200);
      if (runId !== 'd-3')
        expect((await customer.call('mutation', 'usage.start', { runId })).status).toBe(200);
    }
    const result = await detail(accountId, support.accessToken);
    expect(result.status, JSON.stringify(result.error)).toBe(200);
    const data = result.data;
    if (!data) throw new Error('no detail');
    expect(data.account).toMatchObject({ id: accountId, kind: 'personal' });
    expect(data.subscription).toMatchObject({ plan: 'BASIC', status: 'active' });
    expect(data.subscription.stripeCustomerId).toMatch(/^cus_/);
    expect(data.members).toEqual([
      { userId: customer.userId, email: data.account.ownerEmail, role: 'owner' },
    ]);
    expect(data.balance).toMatchObject({
      allowance: { plan: 'BASIC', limit: 100, used: 3 },
      creditsRemaining: 7,
    });
    // Spend as Settings shows it to the account's admins: overage off, no caps yet.
    expect(data.spend).toMatchObject({ overage: { enabled: false }, cap: null, operatorCap: null });
    // 30 UTC days, oldest first, zero-filled; every run holding its charge counts (started or not).
    expect(data.usagePerDay).toHaveLength(30);
    const today = billing.server.deps.now().toISOString().slice(0, 10);
    expect(data.usagePerDay.at(-1)?.day).toBe(today);
    // The runs were made moments ago: today, or yesterday and today when UTC midnight fell between.
    expect(data.usagePerDay.slice(-2).reduce((sum, day) => sum + day.runs, 0)).toBe(3);
    expect(data.usagePerDay.slice(0, -2).every((day) => day.runs === 0)).toBe(true);
    const days = data.usagePerDay.map((day) => day.day);
    expect(days).toEqual([...days].sort());
    expect(data.invoices?.length).toBeGreaterThan(0);
    expect(data.invoices?.[0]).toMatchObject({ status: 'paid', currency: 'usd' });
    expect(data.invoices?.[0]?.totalCents).toBeGreaterThan(0);
    const kinds = new Set(data.timeline.map((entry) => entry.kind));
    expect(kinds.has('operator_action')).toBe(true);
    const action = data.timeline.find((entry) => entry.kind === 'operator_action');
    expect(action).toMatchObject({
      summary: 'grant_credits: sorry for the outage',
      actor: `${operator.user.email} (operator)`,
    });
    // Stripe events are tied to the account by the webhook (stripe_events.account_id).
    expect(
      data.timeline.some((entry) => entry.kind === 'stripe_event' && entry.summary.startsWith('Stripe: ')),
    ).toBe(true);
    const times = data.timeline.map((entry) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('a Free account refused a run shows the 402 in its timeline; no Stripe customer: no invoices', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    expect(await customer.runs(10)).toEqual(Array(10).fill(200));
    expect((await customer.authorizeOne()).status).toBe(402);
    expect((await customer.authorizeOne()).status).toBe(402);
    const data = (await detail(accountId)).data;
    expect(data?.invoices).toBeNull();
    expect(data?.usagePerDay.reduce((sum, day) => sum + day.runs, 0)).toBe(10);
    expect(data?.timeline).toContainEqual(
      expect.objectContaining({ kind: 'run_denied', summary: '2 runs refused (USAGE_LIMIT_REACHED)' }),
    );
  });

  it('an unknown account is a 404, a malformed id a 400, an account owner a 403', async () => {
    expect((await detail('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await detail('not-a-uuid')).status).toBe(400);
    const owner = await registerVerifiedUser(billing.server);
    expect((await detail(personalAccountId(owner.user.id), owner.accessToken)).status).toBe(403);
  });
});

describe('console input the database or the figures can’t take', () => {
  it('a NUL in free text and a month outside 2000–2999 are 400s, not 500s', async () => {
    const customer = await registerVerifiedUser(billing.server);
    const accountId = personalAccountId(customer.user.id);
    const call = (kind: 'query' | 'mutation', path: string, input: unknown) =>
      trpc(billing.server.url, kind, path, input, operator.accessToken);
    const answers = await Promise.all([
      call('query', 'admin.customers', { query: 'a\u0000b' }),
      call('query', 'admin.auditLog', { actorUserId: 'a\u0000b' }),
      call('query', 'admin.auditLog', { action: '\ud800' }),
      call('mutation', 'admin.grantCredits', {
        accountId,
        units: 5,
        expiresAt: null,
        reason: 'good\u0000will',
      }),
      call('mutation', 'admin.setRunLimit', { accountId, runLimit: 20, reason: 'deal\u0000' }),
      call('query', 'admin.analytics', { from: '1999-12', to: '2000-01' }),
      call('query', 'admin.analytics', { from: '3000-01', to: '3000-01' }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 400, 400, 400]);
    // Nothing was changed by the refused mutations.
    expect((await detail(accountId)).data?.balance).toMatchObject({
      allowance: { limit: 10 },
      creditsRemaining: 0,
    });
  });
});
