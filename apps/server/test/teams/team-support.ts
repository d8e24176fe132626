import { randomUUID } from 'node:crypto';
import { signAccessToken, type ApiKeyScope } from '@tollgate/api';
import {
  addMember,
  createUser,
  ensurePersonalAccount,
  insertRefreshToken,
  queryRows,
  updateSubscription,
} from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { registerUser, request, trpc, type Tokens } from '../support/http';
import { grantOperator } from '../support/operators';
import type { TestServer } from '../support/test-server';

// Shared by the team-pool, team-exploits and team-isolation tests: team accounts, their members and
// their pool, set up as cheaply as the test allows (members straight into the database, tokens signed
// with the server's secret), while every call under test goes over HTTP.

export const ACCOUNT_HEADER = 'x-tollgate-account';
const DAY = 86_400_000;

export interface Member {
  id: string;
  email: string;
  accessToken: string;
}

/** A team account created over HTTP by `owner` (a FREE team: no runs until it gets a pool). */
export async function createTeam(server: TestServer, owner: Tokens, name = 'Pool team'): Promise<string> {
  const created = await trpc<{ id: string; kind: string }>(
    server.url,
    'mutation',
    'accounts.create',
    { name },
    owner.accessToken,
  );
  expect(created.status, JSON.stringify(created.error)).toBe(200);
  return created.data?.id ?? '';
}

/** A user made in the database (no password hashing), with its personal account and a valid token. */
export async function makeUser(server: TestServer, prefix = 'member'): Promise<Member> {
  const email = `${prefix}-${randomUUID()}@example.test`;
  const user = await createUser(server.testDb.db, { email });
  await ensurePersonalAccount(server.testDb.db, user.id, new Date());
  // A signed-in session for the token to name (it is refused without one).
  const session = await insertRefreshToken(server.testDb.db, {
    userId: user.id,
    tokenHash: randomUUID(),
    familyId: randomUUID(),
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  const jwt = server.deps.config.jwt;
  const accessToken = await signAccessToken(jwt, { id: user.id, email }, session.familyId, new Date());
  return { id: user.id, email, accessToken };
}

/** `count` new users, each added to the team with `role` (straight into account_memberships). */
export async function addMembers(
  server: TestServer,
  accountId: string,
  count: number,
  role: 'admin' | 'member' = 'member',
): Promise<Member[]> {
  const members: Member[] = [];
  for (let i = 0; i < count; i += 1) {
    const member = await makeUser(server);
    await addMember(server.testDb.db, { accountId, userId: member.id, role, now: new Date() });
    members.push(member);
  }
  return members;
}

/** Gives the team a paid pool of `limit` runs (ENTERPRISE with a custom limit), period around now. */
export async function givePool(server: TestServer, accountId: string, limit: number): Promise<void> {
  const start = new Date(Date.now() - DAY);
  const isUpdated = await updateSubscription(server.testDb.db, accountId, {
    plan: 'ENTERPRISE',
    customRunLimit: limit,
    status: 'active',
    currentPeriodStart: start,
    currentPeriodEnd: new Date(start.getTime() + 30 * DAY),
  });
  expect(isUpdated).toBe(true);
}

/** A platform service key (no account: it may act for any account's members). */
/**
 * A platform key made by a new operator (a platform key works only while its maker is one), as the
 * host's agent backend would hold: it acts for every account and its members.
 */
export async function platformKey(
  server: TestServer,
  scopes: ApiKeyScope[] = ['runs:authorize', 'runs:release', 'subscriptions:read'],
): Promise<string> {
  const maker = await makeUser(server, 'operator');
  await grantOperator(server, maker.id);
  const created = await server.services.apiKeys.create({
    name: `svc-${randomUUID()}`,
    scopes,
    createdByUserId: maker.id,
  });
  return created.key;
}

export interface Answer {
  status: number;
  /** The denial code of a 402 (USAGE_LIMIT_REACHED, MEMBER_CAP_REACHED, NO_PLAN…), else the app code. */
  code: string | null;
  used?: number;
  limit?: number;
}

export type Transport = 'service-trpc' | 'service-rest' | 'member-trpc' | 'member-rest';

/** usage.authorize for `member` on the team, through one of the four ways a run can be asked for. */
export async function authorizeFor(
  server: TestServer,
  transport: Transport,
  accountId: string,
  member: Member,
  runId: string,
  serviceKey: string,
): Promise<Answer> {
  const headers = { [ACCOUNT_HEADER]: accountId };
  switch (transport) {
    case 'service-trpc': {
      const r = await trpc(
        server.url,
        'mutation',
        'usage.authorize',
        { accountId, userId: member.id, runId },
        serviceKey,
      );
      return trpcAnswer(r);
    }
    case 'member-trpc': {
      const r = await trpc(server.url, 'mutation', 'usage.authorize', { runId }, member.accessToken, headers);
      return trpcAnswer(r);
    }
    case 'service-rest': {
      const r = await request<RestBody>(server.url, 'POST', '/api/v1/usage/authorize', {
        token: serviceKey,
        body: { accountId, userId: member.id, runId },
      });
      return restAnswer(r);
    }
    case 'member-rest': {
      const r = await request<RestBody>(server.url, 'POST', '/api/v1/usage/authorize', {
        token: member.accessToken,
        headers,
        body: { runId },
      });
      return restAnswer(r);
    }
  }
}

interface RestBody {
  error?: { code: string; used?: number; limit?: number };
}

function trpcAnswer(r: Awaited<ReturnType<typeof trpc>>): Answer {
  if (r.status === 200) return { status: 200, code: null };
  const denial = r.error?.data.paymentRequired as { code?: string; used?: number; limit?: number } | null;
  if (denial?.code) return { status: r.status, code: denial.code, used: denial.used, limit: denial.limit };
  return { status: r.status, code: r.error?.data.appCode ?? r.error?.data.code ?? null };
}

function restAnswer(r: { status: number; body: RestBody }): Answer {
  if (r.status === 200) return { status: 200, code: null };
  return {
    status: r.status,
    code: r.body?.error?.code ?? null,
    used: r.body?.error?.used,
    limit: r.body?.error?.limit,
  };
}

export interface TeamCounters {
  /** usage_periods.used over the account's periods. */
  poolUsed: number;
  /** Live (not released) ledger rows of the account. */
  ledgerLive: number;
  /** user_id → live ledger rows. */
  ledgerByMember: Map<string, number>;
  /** user_id → member_usage_periods.used (summed over periods). */
  counterByMember: Map<string, number>;
  /** user_id → member_usage_periods.run_cap of the period in force (latest period). */
  capByMember: Map<string, number | null>;
}

export async function teamCounters(server: TestServer, accountId: string): Promise<TeamCounters> {
  const db = server.testDb.db;
  const [pool] = await queryRows<{ used: number }>(
    db,
    sql`select coalesce(sum(used), 0)::int as used from usage_periods where account_id = ${accountId}`,
  );
  const ledger = await queryRows<{ user_id: string; n: number }>(
    db,
    sql`select user_id, count(*)::int as n from usage_ledger
        where account_id = ${accountId} and state <> 'released' group by user_id`,
  );
  const counters = await queryRows<{ user_id: string; used: number; run_cap: number | null }>(
    db,
    sql`select m.user_id, sum(m.used)::int as used,
          (array_agg(m.run_cap order by p.period_start desc))[1] as run_cap
        from member_usage_periods m join usage_periods p on p.account_id = m.account_id and p.id = m.period_id
        where m.account_id = ${accountId} group by m.user_id`,
  );
  return {
    poolUsed: pool?.used ?? -1,
    ledgerLive: ledger.reduce((sum, row) => sum + row.n, 0),
    ledgerByMember: new Map(ledger.map((row) => [row.user_id, row.n])),
    counterByMember: new Map(counters.map((row) => [row.user_id, row.used])),
    capByMember: new Map(counters.map((row) => [row.user_id, row.run_cap])),
  };
}

export async function registerOwner(server: TestServer): Promise<Tokens> {
  return registerUser(server.url);
}
