import { appRouter } from '@tollgate/api';
import { queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, trpc, type Tokens } from '../support/http';
import { registerVerifiedUser, startTestServer, type TestServer } from '../support/test-server';
import { ACCOUNT_HEADER, createTeam, givePool, makeUser, type Member } from './team-support';

// The "Isolation" must-show (design §4.4, first row): Alice, owner of team A and a member of
// nothing else, uses team B's ids on EVERY procedure of the app router that acts on an account and on
// every REST operation under /api/v1 that does: each answer is 403 or 404, and B's rows are byte-for-byte
// what they were. A procedure or REST operation added later without an entry here fails the test.

let server: TestServer;
let alice: Tokens;
let teamA = '';
let bob: Tokens;
let carol: Member;
let teamB = '';
/** B's ids an attacker would aim at. */
const b = {
  sessionId: '',
  invitationId: '',
  invitationToken: '',
  apiKeyId: '',
  bobRun: 'b-run-1',
  carolRun: 'c-run-1',
  /** Reserved (estimate 50: past the pool, so it drew from B's grant too) and started by B's key. */
  keyRun: 'b-key-run-1',
  grantId: '',
  /** B's account key (runs:authorize, runs:settle), which reserved keyRun. */
  apiKey: '',
};
/** Alice's own account key on A (runs:authorize, runs:release, runs:settle, subscriptions:read). */
let aliceAccountKey = '';

beforeAll(async () => {
  // No outbox worker: B's invitation emails must stay as enqueued while the snapshot compares B.
  server = await startTestServer({ EMAIL_OUTBOX_INTERVAL_MS: '0' });
  alice = await registerVerifiedUser(server);
  teamA = await createTeam(server, alice, 'Team A');
  bob = await registerVerifiedUser(server);
  teamB = await createTeam(server, bob, 'Team B');
  await givePool(server, teamB, 50);
  carol = await makeUser(server, 'carol');
  const asBob = (
    kind: 'query' | 'mutation',
    path: string,
    input: unknown,
    headers: Record<string, string> = {},
  ) => trpc(server.url, kind, path, input, bob.accessToken, headers);
  const hB = { [ACCOUNT_HEADER]: teamB };

  // Carol joins B through a real invitation; then a pending one for someone else stays open.
  const invited = await asBob('mutation', 'accounts.invite', { accountId: teamB, email: carol.email });
  const accepted = await trpc(
    server.url,
    'mutation',
    'accounts.acceptInvitation',
    { accountId: teamB, invitationId: invited.data.id, token: invited.data.token },
    carol.accessToken,
  );
  expect(accepted.status).toBe(200);
  const pending = await asBob('mutation', 'accounts.invite', {
    accountId: teamB,
    email: 'pending@example.test',
    role: 'admin',
  });
  b.invitationId = pending.data.id;
  b.invitationToken = pending.data.token;
  expect(
    (
      await asBob('mutation', 'accounts.setMemberCap', {
        accountId: teamB,
        userId: carol.id,
        monthlyRunCap: 5,
      })
    ).status,
  ).toBe(200);
  const key = await asBob('mutation', 'accounts.createApiKey', {
    accountId: teamB,
    name: 'B backend',
    scopes: ['runs:authorize', 'runs:settle'],
  });
  b.apiKeyId = key.data.id;
  b.apiKey = key.data.key;
  // B's credits, and a run of B's backend that holds units of the pool and of the grant, started and
  // not yet settled: a settle from outside would move B's rows.
  const grant = await server.services.credits.grantCredits({
    accountId: teamB,
    units: 10,
    expiresAt: null,
    reason: 'isolation test',
    grantedBy: 'cli:test',
  });
  b.grantId = grant.id;
  const session = await asBob('mutation', 'sessions.create', { title: 'B private' }, hB);
  b.sessionId = session.data.id;
  expect((await asBob('mutation', 'usage.authorize', { runId: b.bobRun }, hB)).status).toBe(200);
  expect(
    (await trpc(server.url, 'mutation', 'usage.authorize', { runId: b.carolRun }, carol.accessToken, hB))
      .status,
  ).toBe(200);
  const asBKey = (path: string, input: Record<string, unknown>) =>
    trpc(server.url, 'mutation', path, { userId: bob.user.id, runId: b.keyRun, ...input }, key.data.key);
  const keyRun = await asBKey('usage.authorize', { estimate: 50 });
  expect(keyRun.data).toMatchObject({ reserved: 50, used: 50, limit: 50, credits: 8 });
  // That run crossed B's usage alerts (80 %, 100 %): they are written just after its answer. Wait for
  // them, so B's snapshots are taken of settled rows.
  await server.services.usageAlerts.settled();
  expect((await asBKey('usage.start', {})).status).toBe(200);

  const aliceKey = await trpc(
    server.url,
    'mutation',
    'accounts.createApiKey',
    {
      accountId: teamA,
      name: 'A backend',
      scopes: ['runs:authorize', 'runs:release', 'runs:settle', 'subscriptions:read'],
    },
    alice.accessToken,
  );
  expect(aliceKey.status).toBe(200);
  aliceAccountKey = aliceKey.data.key;
});
afterAll(async () => {
  await server?.stop();
});

/** Every row of B's, in every tenant table (as JSON text, sorted): compared before and after. */
async function snapshotOfB(): Promise<Record<string, string[]>> {
  const byAccount = (table: string, column = 'account_id') =>
    queryRows<{ j: string }>(
      server.testDb.db,
      sql`select row_to_json(t)::text as j from ${sql.identifier(table)} t where ${sql.identifier(column)}::text = ${teamB} order by 1`,
    ).then((rows) => rows.map((row) => row.j));
  const tables = [
    'account_memberships',
    'account_invitations',
    'subscriptions',
    'usage_periods',
    'member_usage_periods',
    'usage_ledger',
    'credit_grants',
    'run_draws',
    'agent_sessions',
    'agent_runs',
    'api_keys',
    'usage_alert_settings',
    'notifications',
    'email_outbox',
    'account_spend_settings',
    'auto_top_ups',
    'overage_entries',
    'meter_batches',
  ];
  const snapshot: Record<string, string[]> = { accounts: await byAccount('accounts', 'id') };
  for (const table of tables) snapshot[table] = await byAccount(table);
  snapshot.members = (
    await queryRows<{ j: string }>(
      server.testDb.db,
      sql`select row_to_json(u)::text as j from users u where u.id in (${bob.user.id}, ${carol.id}) order by 1`,
    )
  ).map((row) => row.j);
  return snapshot;
}

type Call = { label: string; status: number; code: string | null };
type Attack = () => Promise<Call[]>;

const hB = () => ({ [ACCOUNT_HEADER]: teamB });

async function asAlice(
  kind: 'query' | 'mutation',
  path: string,
  input: unknown,
  headers: Record<string, string> = {},
  label = '',
): Promise<Call> {
  const r = await trpc(server.url, kind, path, input, alice.accessToken, headers);
  return {
    label: `${path} ${label}`.trim(),
    status: r.status,
    code: r.error?.data.paymentRequired
      ? String(r.error.data.paymentRequired.code)
      : (r.error?.data.appCode ?? null),
  };
}

/** tRPC attacks, by procedure: each one names B (input accountId, header, or B's object ids). */
const TRPC_ATTACKS: Record<string, Attack> = {
  'accounts.get': async () => [await asAlice('query', 'accounts.get', { accountId: teamB })],
  'accounts.members': async () => [await asAlice('query', 'accounts.members', { accountId: teamB })],
  'accounts.setRole': async () => [
    await asAlice('mutation', 'accounts.setRole', { accountId: teamB, userId: carol.id, role: 'owner' }),
    await asAlice('mutation', 'accounts.setRole', { accountId: teamB, userId: bob.user.id, role: 'member' }),
    await asAlice(
      'mutation',
      'accounts.setRole',
      { accountId: teamA, userId: carol.id, role: 'owner' },
      {},
      '(B member via A)',
    ),
  ],
  'accounts.setMemberCap': async () => [
    await asAlice('mutation', 'accounts.setMemberCap', {
      accountId: teamB,
      userId: carol.id,
      monthlyRunCap: null,
    }),
    await asAlice(
      'mutation',
      'accounts.setMemberCap',
      { accountId: teamA, userId: carol.id, monthlyRunCap: 0 },
      {},
      '(B member via A)',
    ),
  ],
  'accounts.removeMember': async () => [
    await asAlice('mutation', 'accounts.removeMember', { accountId: teamB, userId: carol.id }),
    await asAlice(
      'mutation',
      'accounts.removeMember',
      { accountId: teamA, userId: carol.id },
      {},
      '(B member via A)',
    ),
  ],
  'accounts.leave': async () => [await asAlice('mutation', 'accounts.leave', { accountId: teamB })],
  'accounts.transferOwnership': async () => [
    await asAlice('mutation', 'accounts.transferOwnership', { accountId: teamB, userId: alice.user.id }),
    await asAlice(
      'mutation',
      'accounts.transferOwnership',
      { accountId: teamA, userId: bob.user.id },
      {},
      '(B owner via A)',
    ),
  ],
  'accounts.invite': async () => [
    await asAlice('mutation', 'accounts.invite', {
      accountId: teamB,
      email: alice.user.email,
      role: 'admin',
    }),
  ],
  'accounts.invitations': async () => [await asAlice('query', 'accounts.invitations', { accountId: teamB })],
  'accounts.revokeInvitation': async () => [
    await asAlice('mutation', 'accounts.revokeInvitation', {
      accountId: teamB,
      invitationId: b.invitationId,
    }),
    await asAlice(
      'mutation',
      'accounts.revokeInvitation',
      { accountId: teamA, invitationId: b.invitationId },
      {},
      '(B invitation via A)',
    ),
  ],
  'accounts.acceptInvitation': async () => [
    // B's real invitation id with a guessed token; and B's account with the token of another account's link.
    await asAlice('mutation', 'accounts.acceptInvitation', {
      accountId: teamB,
      invitationId: b.invitationId,
      token: 'guess',
    }),
    await asAlice(
      'mutation',
      'accounts.acceptInvitation',
      { accountId: teamA, invitationId: b.invitationId, token: b.invitationToken },
      {},
      '(B link on A)',
    ),
  ],
  'accounts.createApiKey': async () => [
    await asAlice('mutation', 'accounts.createApiKey', {
      accountId: teamB,
      name: 'mine now',
      scopes: ['runs:authorize'],
    }),
  ],
  'accounts.apiKeys': async () => [await asAlice('query', 'accounts.apiKeys', { accountId: teamB })],
  'accounts.revokeApiKey': async () => [
    await asAlice('mutation', 'accounts.revokeApiKey', { accountId: teamB, id: b.apiKeyId }),
    await asAlice(
      'mutation',
      'accounts.revokeApiKey',
      { accountId: teamA, id: b.apiKeyId },
      {},
      '(B key via A)',
    ),
  ],
  'billing.subscription': async () => [
    await asAlice('query', 'billing.subscription', undefined, hB(), '(header)'),
    await asAlice('query', 'billing.subscription', { accountId: teamB }, {}, '(input)'),
    await asAlice(
      'query',
      'billing.subscription',
      { accountId: teamB, userId: bob.user.id },
      {},
      '(input + userId)',
    ),
    await asAlice('query', 'billing.subscription', { userId: bob.user.id }, {}, '(userId)'),
  ],
  'billing.activateTrial': async () => [await asAlice('mutation', 'billing.activateTrial', undefined, hB())],
  'billing.createCheckoutSession': async () => [
    await asAlice('mutation', 'billing.createCheckoutSession', { plan: 'TEAM' }, hB()),
  ],
  'billing.createPackCheckout': async () => [
    await asAlice('mutation', 'billing.createPackCheckout', { packId: 'PACK_100' }, hB()),
  ],
  'billing.createPortalSession': async () => [
    await asAlice('mutation', 'billing.createPortalSession', {}, hB()),
  ],
  'billing.invoices': async () => [await asAlice('query', 'billing.invoices', undefined, hB())],
  'billing.spendSettings': async () => [await asAlice('query', 'billing.spendSettings', undefined, hB())],
  'billing.updateSpendSettings': async () => [
    // Lifting B's cap, or making B buy packs automatically: neither may happen.
    await asAlice('mutation', 'billing.updateSpendSettings', { overageEnabled: true, cap: null }, hB()),
    await asAlice(
      'mutation',
      'billing.updateSpendSettings',
      { autoTopUp: { threshold: 10, packId: 'PACK_1000', monthlyLimit: 31 } },
      hB(),
    ),
  ],
  'usage.authorize': async () => [
    await asAlice('mutation', 'usage.authorize', { runId: 'alice-on-b' }, hB(), '(header)'),
    await asAlice('mutation', 'usage.authorize', { accountId: teamB, runId: 'alice-on-b2' }, {}, '(input)'),
    await asAlice(
      'mutation',
      'usage.authorize',
      { accountId: teamB, userId: bob.user.id, runId: 'alice-as-bob' },
      {},
      '(as bob)',
    ),
    await asAlice('mutation', 'usage.authorize', { runId: b.bobRun }, hB(), '(B run id)'),
  ],
  'usage.start': async () => [
    await asAlice('mutation', 'usage.start', { runId: b.bobRun }, hB(), '(header)'),
    await asAlice('mutation', 'usage.start', { accountId: teamB, runId: b.carolRun }, {}, '(input)'),
    await asAlice('mutation', 'usage.start', { runId: b.bobRun }, {}, '(personal)'),
    await asAlice('mutation', 'usage.start', { accountId: teamA, runId: b.bobRun }, {}, '(B run via A)'),
  ],
  'usage.release': async () => [
    await asAlice('mutation', 'usage.release', { runId: b.bobRun }, hB(), '(header)'),
    await asAlice(
      'mutation',
      'usage.release',
      { accountId: teamB, userId: bob.user.id, runId: b.bobRun },
      {},
      '(input)',
    ),
  ],
  // Settling is a service's act: a user token is refused whatever it names (B's started run included).
  'usage.settle': async () => [
    await asAlice('mutation', 'usage.settle', { runId: b.keyRun, actual: 1 }, hB(), '(header)'),
    await asAlice(
      'mutation',
      'usage.settle',
      { accountId: teamB, userId: bob.user.id, runId: b.keyRun, actual: 1 },
      {},
      '(input)',
    ),
    await asAlice('mutation', 'usage.settle', { runId: b.keyRun, actual: 1 }, {}, '(personal)'),
  ],
  'usage.balance': async () => [
    await asAlice('query', 'usage.balance', undefined, hB(), '(header)'),
    await asAlice('query', 'usage.balance', undefined, { [ACCOUNT_HEADER]: b.grantId }, '(grant id)'),
  ],
  'usage.alertSettings': async () => [await asAlice('query', 'usage.alertSettings', undefined, hB())],
  'usage.setAlertSettings': async () => [
    await asAlice('mutation', 'usage.setAlertSettings', { percents: [1], runsRemaining: null }, hB()),
  ],
  'sessions.create': async () => [await asAlice('mutation', 'sessions.create', { title: 'in B' }, hB())],
  'sessions.list': async () => [await asAlice('query', 'sessions.list', undefined, hB())],
  'sessions.get': async () => [
    await asAlice('query', 'sessions.get', { id: b.sessionId }, hB(), '(header)'),
    await asAlice('query', 'sessions.get', { id: b.sessionId }, {}, '(personal)'),
    await asAlice('query', 'sessions.get', { id: b.sessionId }, { [ACCOUNT_HEADER]: teamA }, '(A)'),
  ],
  'sessions.delete': async () => [
    await asAlice('mutation', 'sessions.delete', { id: b.sessionId }, hB(), '(header)'),
    await asAlice('mutation', 'sessions.delete', { id: b.sessionId }, {}, '(personal)'),
    await asAlice('mutation', 'sessions.delete', { id: b.sessionId }, { [ACCOUNT_HEADER]: teamA }, '(A)'),
  ],
  'sessions.run': async () => [
    await asAlice(
      'mutation',
      'sessions.run',
      { id: b.sessionId, runId: 'alice-in-b', message: 'x' },
      hB(),
      '(header)',
    ),
    await asAlice(
      'mutation',
      'sessions.run',
      { id: b.sessionId, runId: 'alice-in-b2', message: 'x' },
      {},
      '(personal)',
    ),
    await asAlice(
      'mutation',
      'sessions.run',
      { id: b.sessionId, runId: 'alice-in-b3', message: 'x' },
      { [ACCOUNT_HEADER]: teamA },
      '(A)',
    ),
  ],
};

/** Procedures that act on no account (or only the caller's own list of them). */
const TAKES_NO_ACCOUNT = new Set([
  'auth.register',
  'auth.login',
  'auth.refresh',
  'auth.logout',
  'auth.me',
  'auth.resendVerification',
  'auth.verifyEmail',
  'auth.requestPasswordReset',
  'auth.resetPassword',
  'accounts.list',
  'accounts.create',
  'billing.plans',
]);
// notifications.*: the caller's own bell and switches, whatever the account (see the bell's tests).
const NO_ACCOUNT_PREFIXES = ['operators.', 'apiKeys.', 'admin.', 'notifications.'];

const procedurePaths = Object.keys(appRouter._def.procedures as Record<string, unknown>);

describe('isolation: a member of A uses B’s ids on every procedure (tRPC)', () => {
  it('every app-router procedure is either attacked here or explicitly takes no account', () => {
    const uncovered = procedurePaths.filter(
      (path) =>
        !(path in TRPC_ATTACKS) &&
        !TAKES_NO_ACCOUNT.has(path) &&
        !NO_ACCOUNT_PREFIXES.some((prefix) => path.startsWith(prefix)),
    );
    expect(uncovered).toEqual([]);
    // And the table names no procedure that doesn't exist (a rename must update it).
    expect(Object.keys(TRPC_ATTACKS).filter((path) => !procedurePaths.includes(path))).toEqual([]);
  });

  it('each answer is 403 or 404, and B is unchanged', async () => {
    const before = await snapshotOfB();
    const calls: Call[] = [];
    for (const attack of Object.values(TRPC_ATTACKS)) calls.push(...(await attack()));
    expect(calls.filter((call) => call.status !== 403 && call.status !== 404)).toEqual([]);
    // Not a member of B: the non-member answer (no existence leak), never a role's 403 naming a role.
    expect(calls.filter((call) => call.code === 'PAYMENT_REQUIRED')).toEqual([]);
    expect(await snapshotOfB()).toEqual(before);
    // Alice got nothing of B's, and nothing was charged anywhere for her.
    const [alicesRows] = await queryRows<{ n: number }>(
      server.testDb.db,
      sql`select count(*)::int as n from usage_ledger where user_id = ${alice.user.id}`,
    );
    expect(alicesRows?.n).toBe(0);
  });
});

describe('isolation: every REST operation under /api/v1 that acts on an account', () => {
  type RestAttack = () => Promise<Call[]>;
  async function rest(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    label = '',
  ): Promise<Call> {
    const r = await request<{ error?: { code: string } }>(server.url, method, `/api/v1${path}`, {
      token: alice.accessToken,
      ...(body === undefined ? {} : { body }),
      headers,
    });
    return {
      label: `${method} ${path} ${label}`.trim(),
      status: r.status,
      code: r.body?.error?.code ?? null,
    };
  }
  const REST_ATTACKS: Record<string, RestAttack> = {
    'get /accounts/{accountId}': async () => [await rest('GET', `/accounts/${teamB}`)],
    'get /accounts/{accountId}/members': async () => [await rest('GET', `/accounts/${teamB}/members`)],
    'post /accounts/{accountId}/members/{userId}/role': async () => [
      await rest('POST', `/accounts/${teamB}/members/${carol.id}/role`, { role: 'owner' }),
      await rest('POST', `/accounts/${teamA}/members/${carol.id}/role`, { role: 'owner' }),
    ],
    'post /accounts/{accountId}/members/{userId}/cap': async () => [
      await rest('POST', `/accounts/${teamB}/members/${carol.id}/cap`, { monthlyRunCap: null }),
      await rest('POST', `/accounts/${teamA}/members/${carol.id}/cap`, { monthlyRunCap: 0 }),
    ],
    'delete /accounts/{accountId}/members/{userId}': async () => [
      await rest('DELETE', `/accounts/${teamB}/members/${carol.id}`),
      await rest('DELETE', `/accounts/${teamA}/members/${carol.id}`),
    ],
    'post /accounts/{accountId}/leave': async () => [await rest('POST', `/accounts/${teamB}/leave`, {})],
    'post /accounts/{accountId}/transfer-ownership': async () => [
      await rest('POST', `/accounts/${teamB}/transfer-ownership`, { userId: alice.user.id }),
    ],
    'post /accounts/{accountId}/invitations': async () => [
      await rest('POST', `/accounts/${teamB}/invitations`, { email: alice.user.email, role: 'admin' }),
    ],
    'get /accounts/{accountId}/invitations': async () => [
      await rest('GET', `/accounts/${teamB}/invitations`),
    ],
    'delete /accounts/{accountId}/invitations/{invitationId}': async () => [
      await rest('DELETE', `/accounts/${teamB}/invitations/${b.invitationId}`),
      await rest('DELETE', `/accounts/${teamA}/invitations/${b.invitationId}`),
    ],
    'post /invitations/accept': async () => [
      await rest('POST', '/invitations/accept', {
        accountId: teamB,
        invitationId: b.invitationId,
        token: 'guess',
      }),
    ],
    'post /accounts/{accountId}/api-keys': async () => [
      await rest('POST', `/accounts/${teamB}/api-keys`, { name: 'mine', scopes: ['runs:authorize'] }),
    ],
    'get /accounts/{accountId}/api-keys': async () => [await rest('GET', `/accounts/${teamB}/api-keys`)],
    'delete /accounts/{accountId}/api-keys/{id}': async () => [
      await rest('DELETE', `/accounts/${teamB}/api-keys/${b.apiKeyId}`),
      await rest('DELETE', `/accounts/${teamA}/api-keys/${b.apiKeyId}`),
    ],
    'get /billing/subscription': async () => [
      await rest('GET', '/billing/subscription', undefined, hB(), '(header)'),
      await rest('GET', `/billing/subscription?accountId=${teamB}`, undefined, {}, '(query)'),
      await rest(
        'GET',
        `/billing/subscription?userId=${encodeURIComponent(bob.user.id)}`,
        undefined,
        {},
        '(userId)',
      ),
    ],
    'post /billing/create-checkout-session': async () => [
      await rest('POST', '/billing/create-checkout-session', { plan: 'TEAM' }, hB()),
    ],
    'get /billing/spend-settings': async () => [
      await rest('GET', '/billing/spend-settings', undefined, hB()),
    ],
    'post /billing/spend-settings': async () => [
      await rest('POST', '/billing/spend-settings', { cap: { kind: 'runs', runs: 1_000_000 } }, hB()),
    ],
    'post /billing/create-pack-checkout': async () => [
      await rest('POST', '/billing/create-pack-checkout', { packId: 'PACK_1000' }, hB()),
    ],
    'post /billing/create-portal-session': async () => [
      await rest('POST', '/billing/create-portal-session', {}, hB()),
    ],
    'post /billing/activate-trial': async () => [
      await rest('POST', '/billing/activate-trial', undefined, hB()),
    ],
    'get /billing/invoices': async () => [await rest('GET', '/billing/invoices', undefined, hB())],
    'post /usage/authorize': async () => [
      await rest('POST', '/usage/authorize', { runId: 'alice-rest-b' }, hB(), '(header)'),
      await rest('POST', '/usage/authorize', { accountId: teamB, runId: 'alice-rest-b2' }, {}, '(body)'),
      await rest(
        'POST',
        '/usage/authorize',
        { accountId: teamB, userId: carol.id, runId: 'alice-rest-b3' },
        {},
        '(as carol)',
      ),
    ],
    'post /usage/start': async () => [
      await rest('POST', '/usage/start', { runId: b.carolRun }, hB(), '(header)'),
      await rest('POST', '/usage/start', { accountId: teamB, runId: b.bobRun }, {}, '(body)'),
    ],
    'post /usage/release': async () => [
      await rest('POST', '/usage/release', { runId: b.bobRun }, hB(), '(header)'),
      await rest(
        'POST',
        '/usage/release',
        { accountId: teamB, userId: bob.user.id, runId: b.bobRun },
        {},
        '(body)',
      ),
    ],
    'post /usage/settle': async () => [
      await rest('POST', '/usage/settle', { runId: b.keyRun, actual: 1 }, hB(), '(header)'),
      await rest(
        'POST',
        '/usage/settle',
        { accountId: teamB, userId: bob.user.id, runId: b.keyRun, actual: 50 },
        {},
        '(body)',
      ),
    ],
    'get /usage/balance': async () => [await rest('GET', '/usage/balance', undefined, hB())],
    'get /sessions': async () => [await rest('GET', '/sessions', undefined, hB())],
    'post /sessions': async () => [await rest('POST', '/sessions', { title: 'in B' }, hB())],
    'get /sessions/{id}': async () => [
      await rest('GET', `/sessions/${b.sessionId}`, undefined, hB(), '(header)'),
      await rest('GET', `/sessions/${b.sessionId}`, undefined, {}, '(personal)'),
    ],
    'delete /sessions/{id}': async () => [
      await rest('DELETE', `/sessions/${b.sessionId}`, undefined, hB(), '(header)'),
      await rest('DELETE', `/sessions/${b.sessionId}`, undefined, {}, '(personal)'),
    ],
    'post /sessions/{id}/runs': async () => [
      await rest(
        'POST',
        `/sessions/${b.sessionId}/runs`,
        { runId: 'alice-rest-run', message: 'x' },
        hB(),
        '(header)',
      ),
      await rest(
        'POST',
        `/sessions/${b.sessionId}/runs`,
        { runId: 'alice-rest-run2', message: 'x' },
        {},
        '(personal)',
      ),
    ],
  };
  /** REST operations that act on no account: sign-in, the caller's own account list, plans, operator keys, infrastructure. */
  const REST_NO_ACCOUNT = [
    /^\w+ \/auth\//,
    /^get \/accounts$/,
    /^post \/accounts$/,
    /^get \/billing\/plans$/,
    /^\w+ \/api-keys/,
    /^\w+ \/health/,
    /^post \/billing\/webhook$/,
  ];

  async function operations(): Promise<string[]> {
    const doc = await request<{ paths: Record<string, Record<string, unknown>> }>(
      server.url,
      'GET',
      '/api/v1/openapi.json',
    );
    expect(doc.status).toBe(200);
    const methods = new Set(['get', 'post', 'put', 'patch', 'delete']);
    return Object.entries(doc.body.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => methods.has(method))
        .map((method) => `${method} ${path}`),
    );
  }

  it('every operation of the OpenAPI document is either attacked here or acts on no account', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(20);
    expect(ops.filter((op) => !(op in REST_ATTACKS) && !REST_NO_ACCOUNT.some((re) => re.test(op)))).toEqual(
      [],
    );
    expect(Object.keys(REST_ATTACKS).filter((op) => !ops.includes(op))).toEqual([]);
  });

  it('each answer is 403 or 404, and B is unchanged', async () => {
    const before = await snapshotOfB();
    const calls: Call[] = [];
    for (const attack of Object.values(REST_ATTACKS)) calls.push(...(await attack()));
    expect(calls.filter((call) => call.status !== 403 && call.status !== 404)).toEqual([]);
    expect(await snapshotOfB()).toEqual(before);
  });
});

describe('isolation: an account key of A', () => {
  it('acts for A only: B’s accountId → 403, a userId that is a member of B only → 403/404, and B is unchanged', async () => {
    const before = await snapshotOfB();
    const key = aliceAccountKey;
    const viaKey = async (
      kind: 'query' | 'mutation',
      path: string,
      input: unknown,
      headers: Record<string, string> = {},
      label = '',
    ) => {
      const r = await trpc(server.url, kind, path, input, key, headers);
      return { label: `${path} ${label}`.trim(), status: r.status, code: r.error?.data.appCode ?? null };
    };
    const calls = [
      await viaKey(
        'mutation',
        'usage.authorize',
        { accountId: teamB, userId: bob.user.id, runId: 'key-b' },
        {},
        '(B, bob)',
      ),
      await viaKey(
        'mutation',
        'usage.authorize',
        { accountId: teamB, userId: alice.user.id, runId: 'key-b2' },
        {},
        '(B, alice)',
      ),
      await viaKey(
        'mutation',
        'usage.authorize',
        { userId: carol.id, runId: 'key-carol' },
        {},
        '(carol only)',
      ),
      await viaKey(
        'mutation',
        'usage.authorize',
        { userId: bob.user.id, runId: 'key-bob' },
        hB(),
        '(header B)',
      ),
      await viaKey(
        'mutation',
        'usage.start',
        { accountId: teamB, userId: bob.user.id, runId: b.bobRun },
        {},
        '(B)',
      ),
      await viaKey('mutation', 'usage.start', { userId: carol.id, runId: b.carolRun }, {}, '(carol only)'),
      await viaKey(
        'mutation',
        'usage.release',
        { accountId: teamB, userId: bob.user.id, runId: b.bobRun },
        {},
        '(B)',
      ),
      await viaKey('mutation', 'usage.release', { userId: carol.id, runId: b.carolRun }, {}, '(carol only)'),
      await viaKey(
        'mutation',
        'usage.settle',
        { accountId: teamB, userId: bob.user.id, runId: b.keyRun, actual: 1 },
        {},
        '(B)',
      ),
      await viaKey(
        'mutation',
        'usage.settle',
        { userId: bob.user.id, runId: b.keyRun, actual: 1 },
        {},
        '(bob only)',
      ),
      await viaKey(
        'mutation',
        'usage.settle',
        { userId: bob.user.id, runId: b.keyRun, actual: 1 },
        hB(),
        '(header B)',
      ),
      await viaKey('query', 'billing.subscription', { accountId: teamB, userId: bob.user.id }, {}, '(B)'),
      await viaKey('query', 'billing.subscription', { userId: carol.id }, {}, '(carol only)'),
    ];
    for (const [path, body, label] of [
      ['/usage/authorize', { accountId: teamB, userId: bob.user.id, runId: 'key-rest' }, '(B)'],
      ['/usage/authorize', { userId: carol.id, runId: 'key-rest2' }, '(carol only)'],
      ['/usage/release', { accountId: teamB, userId: bob.user.id, runId: b.bobRun }, '(B)'],
      ['/usage/settle', { accountId: teamB, userId: bob.user.id, runId: b.keyRun, actual: 1 }, '(B)'],
      ['/usage/settle', { userId: carol.id, runId: b.carolRun, actual: 1 }, '(carol only)'],
    ] as const) {
      const r = await request<{ error?: { code: string } }>(server.url, 'POST', `/api/v1${path}`, {
        token: key,
        body,
      });
      calls.push({ label: `REST ${path} ${label}`, status: r.status, code: r.body?.error?.code ?? null });
    }
    expect(calls.filter((call) => call.status !== 403 && call.status !== 404)).toEqual([]);
    // Naming B explicitly is the key's 403 (not a lookup).
    expect(
      calls
        .filter((call) => call.label.endsWith('(B)') || call.label.endsWith('(B, bob)'))
        .map((c) => c.status),
    ).toEqual(
      calls.filter((call) => call.label.endsWith('(B)') || call.label.endsWith('(B, bob)')).map(() => 403),
    );
    expect(await snapshotOfB()).toEqual(before);
  });
});

describe('isolation inside one team account', () => {
  it('a member can’t see, delete or run in another member’s session, nor start another member’s run; usage stays shared', async () => {
    const hB = { [ACCOUNT_HEADER]: teamB };
    const before = await snapshotOfB();
    const asCarol = (kind: 'query' | 'mutation', path: string, input: unknown) =>
      trpc(server.url, kind, path, input, carol.accessToken, hB).then((r) => ({ path, status: r.status }));
    const calls = [
      await asCarol('query', 'sessions.get', { id: b.sessionId }),
      await asCarol('mutation', 'sessions.delete', { id: b.sessionId }),
      await asCarol('mutation', 'sessions.run', { id: b.sessionId, runId: 'carol-in-bob', message: 'x' }),
      await asCarol('mutation', 'usage.start', { runId: b.bobRun }),
      // A member's token can't settle the team backend's run either (a service's act).
      await asCarol('mutation', 'usage.settle', { runId: b.keyRun, actual: 1 }),
    ];
    expect(calls.filter((call) => call.status !== 403 && call.status !== 404)).toEqual([]);
    const list = await trpc<unknown[]>(
      server.url,
      'query',
      'sessions.list',
      undefined,
      carol.accessToken,
      hB,
    );
    expect(list.data).toEqual([]);
    expect(await snapshotOfB()).toEqual(before);
    // Shared: Carol sees the pool B's members and B's backend used (2 runs + 48 of the key run's 50),
    // and B's credits (the key run's other 2 came from B's grant of 10).
    const overview = await trpc<{ usage: { used: number } }>(
      server.url,
      'query',
      'billing.subscription',
      undefined,
      carol.accessToken,
      hB,
    );
    expect(overview.data?.usage.used).toBe(50);
    const balance = await trpc<{ creditsRemaining: number; totalRemaining: number }>(
      server.url,
      'query',
      'usage.balance',
      undefined,
      carol.accessToken,
      hB,
    );
    expect(balance.data).toMatchObject({ creditsRemaining: 8, totalRemaining: 8 });
  });
});

describe('isolation: the control', () => {
  it('B’s own key settles B’s run: the attacks above were refused for who made them, not for the run', async () => {
    const settled = await trpc(
      server.url,
      'mutation',
      'usage.settle',
      { userId: bob.user.id, runId: b.keyRun, actual: 40 },
      b.apiKey,
    );
    expect(settled.status, JSON.stringify(settled.error)).toBe(200);
    expect(settled.data).toMatchObject({ estimate: 50, actual: 40, charged: 40, isReplay: false });
    // The 10 given back went to the grant first (last drawn, first returned), then to the pool.
    const balance = await trpc<{ creditsRemaining: number; allowance: { used: number } }>(
      server.url,
      'query',
      'usage.balance',
      undefined,
      bob.accessToken,
      { [ACCOUNT_HEADER]: teamB },
    );
    expect(balance.data).toMatchObject({ creditsRemaining: 10, allowance: { used: 42 } });
  });
});
