import { appRouter } from '@tollgate/api';
import { getAccountOverrides, listAudit, listCreditGrants, personalAccountId, queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpc } from './support/http';
import { registerOperator, registerSupport } from './support/operators';
import { registerVerifiedUser, startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

type Kind = 'query' | 'mutation';
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: Kind } }>,
).map(([path, procedure]) => ({ path, kind: procedure._def.type }));
const STAFF_PREFIXES = ['admin.', 'operators.'];
/** What support may call; every other staff procedure is the operators' alone. */
const SUPPORT_ALLOWED = new Set([
  'admin.grantCredits',
  'admin.setTrial',
  'admin.auditLog',
  // The console's reads.
  'admin.customers',
  'admin.customer',
  'admin.analytics',
]);
/** The console's procedures: each must exist (and is then checked like every other staff procedure). */
const CONSOLE_PROCEDURES = [
  'admin.customers',
  'admin.customer',
  'admin.analytics',
  'admin.revokeCredits',
  'admin.resync',
  'admin.cancelSubscription',
  'admin.createEnterpriseDeal',
];
/** Any signed-in user may try to claim the one-time bootstrap token (it is the token that is checked). */
const OPEN_TO_USERS = new Set(['operators.claimBootstrap']);

async function authorize(token: string, runId: string) {
  return (await trpc(server.url, 'mutation', 'usage.authorize', { runId }, token)).status;
}

async function auditRows(accountId: string) {
  return listAudit(server.deps.db, { accountId });
}

describe('platform roles: checked on the server, for every staff procedure', () => {
  it('support gets 403 from every operator-only procedure; an account owner from every staff one', async () => {
    const support = await registerSupport(server);
    const owner = await registerVerifiedUser(server);
    const staff = procedures.filter(
      ({ path }) => STAFF_PREFIXES.some((prefix) => path.startsWith(prefix)) && !OPEN_TO_USERS.has(path),
    );
    expect(staff.length).toBeGreaterThan(10);
    expect(CONSOLE_PROCEDURES.filter((path) => !staff.some((procedure) => procedure.path === path))).toEqual(
      [],
    );
    for (const { path, kind } of staff) {
      const asOwner = await trpc(server.url, kind, path, undefined, owner.accessToken);
      expect([path, asOwner.status]).toEqual([path, 403]);
      if (SUPPORT_ALLOWED.has(path)) continue;
      const asSupport = await trpc(server.url, kind, path, undefined, support.accessToken);
      expect([path, asSupport.status]).toEqual([path, 403]);
    }
    // What support may do, it may (the answers are about the input, not the role).
    for (const path of SUPPORT_ALLOWED) {
      const procedure = procedures.find((candidate) => candidate.path === path);
      const answer = await trpc(server.url, procedure?.kind ?? 'query', path, undefined, support.accessToken);
      expect([path, answer.status]).not.toEqual([path, 403]);
    }
  });

  it('an operator grants and revokes the support role; support can’t grant roles itself', async () => {
    const operator = await registerOperator(server);
    const helper = await registerVerifiedUser(server);
    const granted = await trpc(
      server.url,
      'mutation',
      'operators.grant',
      { userId: helper.user.id, role: 'support' },
      operator.accessToken,
    );
    expect(granted.status).toBe(200);
    expect(granted.data).toMatchObject({ userId: helper.user.id, role: 'support' });
    expect((await trpc(server.url, 'query', 'admin.auditLog', {}, helper.accessToken)).status).toBe(200);
    const other = await registerVerifiedUser(server);
    const escalate = await trpc(
      server.url,
      'mutation',
      'operators.grant',
      { userId: other.user.id, role: 'operator' },
      helper.accessToken,
    );
    expect(escalate.status).toBe(403);
    const revoked = await trpc(
      server.url,
      'mutation',
      'operators.revoke',
      { userId: helper.user.id },
      operator.accessToken,
    );
    expect(revoked.status).toBe(200);
    expect((await trpc(server.url, 'query', 'admin.auditLog', {}, helper.accessToken)).status).toBe(403);
  });

  it('support grants runs up to the configured bound (1,000) a day; operators beyond it', async () => {
    const support = await registerSupport(server);
    const operator = await registerOperator(server);
    const customer = await registerVerifiedUser(server);
    const accountId = personalAccountId(customer.user.id);
    const grant = (token: string, units: number) =>
      trpc(
        server.url,
        'mutation',
        'admin.grantCredits',
        { accountId, units, expiresAt: null, reason: 'goodwill' },
        token,
      );
    expect((await grant(support.accessToken, 1001)).status).toBe(403);
    expect((await grant(support.accessToken, 1000)).status).toBe(200);
    expect((await grant(operator.accessToken, 5000)).status).toBe(200);
    const rows = await auditRows(accountId);
    expect(rows.map((row) => [row.action, row.actorRole])).toEqual([
      ['grant_credits', 'operator'],
      ['grant_credits', 'support'],
    ]);
    // The bound is a day's: more grants the same day are refused (a bound per grant bounds nothing).
    const again = await grant(support.accessToken, 1);
    expect(again.status).toBe(403);
    expect(again.error?.message).toMatch(/at most 1000 runs a day, trial restarts included: 0 left/);
    expect(await auditRows(accountId)).toHaveLength(2);
  });

  it('support’s daily bound holds when its grants race: 4 × 400 at once, exactly 2 pass', async () => {
    const support = await registerSupport(server);
    const customer = await registerVerifiedUser(server);
    const accountId = personalAccountId(customer.user.id);
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        trpc(
          server.url,
          'mutation',
          'admin.grantCredits',
          { accountId, units: 400, expiresAt: null, reason: `race ${i}` },
          support.accessToken,
        ),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 403, 403]);
    // What was written, not only what was answered: two grants of 400, two audit rows.
    expect((await listCreditGrants(server.deps.db, accountId)).map((grant) => grant.units)).toEqual([
      400, 400,
    ]);
    expect(await auditRows(accountId)).toHaveLength(2);
    // A day later the same support user has its whole bound again (signed in anew: tokens expired).
    server.clock.advance(24 * 60 * 60_000 + 1_000);
    try {
      const signedIn = await trpc<{ accessToken: string }>(server.url, 'mutation', 'auth.login', {
        email: support.user.email,
        password: 'correct horse battery',
      });
      const tomorrow = await trpc(
        server.url,
        'mutation',
        'admin.grantCredits',
        { accountId, units: 1000, expiresAt: null, reason: 'next day' },
        signedIn.data?.accessToken,
      );
      expect(tomorrow.status).toBe(200);
    } finally {
      server.clock.reset();
    }
  });
});

describe('overrides take effect on the next authorization, each with exactly one audit row', () => {
  it('a custom run limit: a Free account out of runs runs again at once; back to the plan’s limit, it stops', async () => {
    const operator = await registerOperator(server);
    const customer = await registerVerifiedUser(server);
    const accountId = personalAccountId(customer.user.id);
    for (let i = 0; i < 10; i += 1) expect(await authorize(customer.accessToken, `free-${i}`)).toBe(200);
    expect(await authorize(customer.accessToken, 'over')).toBe(402);
    const set = (runLimit: number | null) =>
      trpc(
        server.url,
        'mutation',
        'admin.setRunLimit',
        { accountId, runLimit, reason: 'pilot deal' },
        operator.accessToken,
      );
    expect((await set(12)).status).toBe(200);
    expect(await authorize(customer.accessToken, 'after-1')).toBe(200);
    expect(await authorize(customer.accessToken, 'after-2')).toBe(200);
    expect(await authorize(customer.accessToken, 'after-3')).toBe(402);
    expect((await set(null)).status).toBe(200);
    expect(await authorize(customer.accessToken, 'after-4')).toBe(402);
    const rows = await auditRows(accountId);
    expect(rows.map((row) => [row.action, row.reason, row.actorUserId, row.requestId !== null])).toEqual([
      ['set_run_limit', 'pilot deal', operator.user.id, true],
      ['set_run_limit', 'pilot deal', operator.user.id, true],
    ]);
    expect(rows[1]?.before).toMatchObject({ runLimit: null });
    expect(rows[1]?.after).toMatchObject({ runLimit: 12 });
  });

  it('a comp gives the paid plan’s runs at once; ending it returns the account to Free', async () => {
    const operator = await registerOperator(server);
    const customer = await registerVerifiedUser(server);
    const accountId = personalAccountId(customer.user.id);
    for (let i = 0; i < 10; i += 1) await authorize(customer.accessToken, `free-${i}`);
    expect(await authorize(customer.accessToken, 'over')).toBe(402);
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const comp = await trpc(
      server.url,
      'mutation',
      'admin.compAccount',
      { accountId, plan: 'PRO', until, reason: 'conference speaker' },
      operator.accessToken,
    );
    expect(comp.status).toBe(200);
    expect(await authorize(customer.accessToken, 'comped')).toBe(200);
    const overview = await trpc(server.url, 'query', 'billing.subscription', undefined, customer.accessToken);
    expect(overview.data.usage).toMatchObject({ limit: 1000 });
    // A TEAM comp on a personal account is refused, and writes nothing.
    const team = await trpc(
      server.url,
      'mutation',
      'admin.compAccount',
      { accountId, plan: 'TEAM', until, reason: 'x' },
      operator.accessToken,
    );
    expect(team.status).toBe(400);
    const end = await trpc(
      server.url,
      'mutation',
      'admin.compAccount',
      { accountId, plan: 'PRO', until: null, reason: 'talk cancelled' },
      operator.accessToken,
    );
    expect(end.status).toBe(200);
    expect(await authorize(customer.accessToken, 'after-comp')).toBe(402);
    expect((await auditRows(accountId)).map((row) => row.action)).toEqual(['end_comp', 'comp']);
  });

  it('support restarts a trial: TRIAL’s 50 runs at once; no reason, no change', async () => {
    const support = await registerSupport(server);
    const customer = await registerVerifiedUser(server);
    const accountId = personalAccountId(customer.user.id);
    for (let i = 0; i < 10; i += 1) await authorize(customer.accessToken, `free-${i}`);
    expect(await authorize(customer.accessToken, 'over')).toBe(402);
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const blank = await trpc(
      server.url,
      'mutation',
      'admin.setTrial',
      { accountId, mode: 'restart', until, reason: '   ' },
      support.accessToken,
    );
    expect(blank.status).toBe(400);
    const tooLong = new Date(Date.now() + 91 * 86_400_000).toISOString();
    expect(
      (
        await trpc(
          server.url,
          'mutation',
          'admin.setTrial',
          { accountId, mode: 'restart', until: tooLong, reason: 'x' },
          support.accessToken,
        )
      ).status,
    ).toBe(400);
    const restarted = await trpc(
      server.url,
      'mutation',
      'admin.setTrial',
      { accountId, mode: 'restart', until, reason: 'evaluation for their team' },
      support.accessToken,
    );
    expect(restarted.status).toBe(200);
    expect(await authorize(customer.accessToken, 'trial-1')).toBe(200);
    const overview = await trpc(server.url, 'query', 'billing.subscription', undefined, customer.accessToken);
    expect(overview.data).toMatchObject({ plan: 'TRIAL', usage: { used: 1, limit: 50 } });
    expect((await auditRows(accountId)).map((row) => [row.action, row.actorRole])).toEqual([
      ['restart_trial', 'support'],
    ]);
  });

  it('support’s fresh trial windows count against its daily bound: 50 runs each, with its grants', async () => {
    const support = await registerSupport(server);
    const operator = await registerOperator(server);
    const customer = await registerVerifiedUser(server);
    const accountId = personalAccountId(customer.user.id);
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const setTrial = (token: string, mode: 'restart' | 'extend', reason: string, at = until) =>
      trpc(server.url, 'mutation', 'admin.setTrial', { accountId, mode, until: at, reason }, token);
    const granted = await trpc(
      server.url,
      'mutation',
      'admin.grantCredits',
      { accountId, units: 900, expiresAt: null, reason: 'goodwill' },
      support.accessToken,
    );
    expect(granted.status).toBe(200);
    expect((await setTrial(support.accessToken, 'restart', 'first restart')).status).toBe(200);
    expect((await setTrial(support.accessToken, 'restart', 'second restart')).status).toBe(200);
    // 900 + 2 × 50: the bound is reached; a third fresh window would be 50 more free runs.
    const third = await setTrial(support.accessToken, 'restart', 'third restart');
    expect(third.status).toBe(403);
    expect(third.error?.message).toMatch(/at most 1000 runs a day, trial restarts included: 0 left/);
    // Extending the window under way hands out no runs: allowed.
    const later = new Date(Date.now() + 10 * 86_400_000).toISOString();
    expect((await setTrial(support.accessToken, 'extend', 'more time', later)).status).toBe(200);
    // An operator is not bound.
    expect((await setTrial(operator.accessToken, 'restart', 'operator restart')).status).toBe(200);
    const rows = await auditRows(accountId);
    expect(rows.map((row) => [row.action, row.actorRole, (row.after as { units?: number }).units])).toEqual([
      ['restart_trial', 'operator', undefined],
      ['extend_trial', 'support', undefined],
      ['restart_trial', 'support', 50],
      ['restart_trial', 'support', 50],
      ['grant_credits', 'support', 900],
    ]);
  });

  it('support extending a trial that has ended reopens its runs: counted against the bound too', async () => {
    const support = await registerSupport(server);
    const operator = await registerOperator(server);
    const customer = await registerVerifiedUser(server);
    const accountId = personalAccountId(customer.user.id);
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const setTrial = (token: string, mode: 'restart' | 'extend') =>
      trpc(server.url, 'mutation', 'admin.setTrial', { accountId, mode, until, reason: 'r' }, token);
    expect((await setTrial(operator.accessToken, 'restart')).status).toBe(200);
    // That trial started 40 days ago and ended 26 days ago, its 50 runs unused.
    await server.testDb.db.execute(
      sql`update account_overrides set trial_start = now() - interval '40 days',
          trial_end = now() - interval '26 days' where account_id = ${accountId}`,
    );
    const granted = await trpc(
      server.url,
      'mutation',
      'admin.grantCredits',
      { accountId, units: 1000, expiresAt: null, reason: 'the whole bound' },
      support.accessToken,
    );
    expect(granted.status).toBe(200);
    const extended = await setTrial(support.accessToken, 'extend');
    expect(extended.status).toBe(403);
    expect(extended.error?.message).toMatch(/at most 1000 runs a day, trial restarts included: 0 left/);
    expect((await auditRows(accountId)).map((row) => row.action)).toEqual(['grant_credits', 'restart_trial']);
  });

  it('support’s trial restarts racing on many accounts stop at the bound: 25 at once, exactly 20 pass', async () => {
    const support = await registerSupport(server);
    const customers = await Promise.all(Array.from({ length: 25 }, () => registerVerifiedUser(server)));
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const answers = await Promise.all(
      customers.map((customer, i) =>
        trpc(
          server.url,
          'mutation',
          'admin.setTrial',
          { accountId: personalAccountId(customer.user.id), mode: 'restart', until, reason: `race ${i}` },
          support.accessToken,
        ),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(20);
    expect(statuses.filter((status) => status === 403)).toHaveLength(5);
    // What was written: exactly the 20 answered 200 have a restarted trial, each audited once.
    const written = await Promise.all(
      customers.map(async (customer) => {
        const accountId = personalAccountId(customer.user.id);
        const overrides = await getAccountOverrides(server.deps.db, accountId);
        return [(await auditRows(accountId)).length, overrides?.trialEnd ? 1 : 0];
      }),
    );
    expect(written).toEqual(statuses.map((status) => (status === 200 ? [1, 1] : [0, 0])));
  });

  it('the audit log is there for staff, filterable by account, and refuses changes in the database', async () => {
    const operator = await registerOperator(server);
    const customer = await registerVerifiedUser(server);
    const accountId = personalAccountId(customer.user.id);
    await trpc(
      server.url,
      'mutation',
      'admin.setRunLimit',
      { accountId, runLimit: 20, reason: 'r' },
      operator.accessToken,
    );
    const listed = await trpc(server.url, 'query', 'admin.auditLog', { accountId }, operator.accessToken);
    expect(listed.status).toBe(200);
    expect(listed.data).toEqual([
      expect.objectContaining({ action: 'set_run_limit', accountId, reason: 'r' }),
    ]);
    const error = await queryRows(server.deps.db, sql`delete from operator_audit_log`).catch(
      (cause: unknown) => cause,
    );
    expect(String((error as { cause?: unknown })?.cause ?? error)).toMatch(/append-only/);
  });
});
