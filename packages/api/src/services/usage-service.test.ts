import {
  createDb,
  createUser,
  ensurePersonalAccount,
  personalAccountId,
  queryRows,
  reserveRuns,
  type Database,
  type ReserveRunInput,
  type ReserveRunResult,
} from '@tollgate/db';
import { createScratchDatabase, createTestDb, testPostgresServerUrl } from '@tollgate/db/testing';
import type { TestDbHandle } from '@tollgate/db/testing';
import { AppError } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiConfig, ApiDeps } from '../config';
import { silentLogger } from '../logger';
import { createLocalRunner } from '../runner/local-runner';
import { createRunBatcher } from './run-batcher';
import { createServices } from './index';
import { personalTenant } from '../tenant';

// A fresh PGlite costs seconds of CPU on a busy 2-core machine: generous timeouts, one per file.
const SLOW = 60_000;
const FREE_LIMIT = 10;
const NOW = new Date('2025-03-10T12:00:00Z');

let handle: TestDbHandle;

beforeAll(async () => {
  handle = await createTestDb();
}, SLOW);
afterAll(async () => {
  await handle.close();
});
beforeEach(async () => {
  await handle.reset();
});

function config(runBatching: ApiConfig['runBatching']): ApiConfig {
  return {
    appUrl: 'http://app.tollgate.test',
    jwt: {
      secret: 'test-secret-that-is-at-least-32-characters-long',
      jwksUrl: null,
      issuer: null,
      audience: null,
      tokenIssuer: 'tollgate',
      hostTokenMaxAgeSeconds: 86_400,
      accessTtlSeconds: 900,
      refreshTtlSeconds: 86_400,
    },
    isBuiltInAccountsEnabled: true,
    paymentGraceDays: 3,
    runStartTimeoutMs: 60_000,
    authRateLimit: { windowMs: 60_000, max: 100 },
    runBatching,
  };
}

function usageService(db: Database, runBatching: ApiConfig['runBatching'] = { windowMs: 2, maxSize: 256 }) {
  const deps: ApiDeps = {
    db,
    config: config(runBatching),
    now: () => NOW,
    runner: createLocalRunner(),
    logger: silentLogger,
    billing: null,
  };
  return createServices(deps).usage;
}

type Usage = ReturnType<typeof usageService>;

/** The service key every call here authorizes with. */
const SERVICE = { kind: 'service', id: 'key-1' } as const;

/** Settles every call: 'ok' / 'replay' / the AppError code / 'error'. */
async function authorizeAll(usage: Usage, calls: ReadonlyArray<[userId: string, runId: string]>) {
  const settled = await Promise.allSettled(
    calls.map(([userId, runId]) => usage.authorize(SERVICE, personalTenant(userId), runId)),
  );
  return settled.map((s) => {
    if (s.status === 'fulfilled') return s.value.isReplay ? 'replay' : 'ok';
    return s.reason instanceof AppError ? s.reason.code : 'error';
  });
}

function tally(labels: readonly string[]) {
  const counts: Record<string, number> = {};
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

/** Every period counter with its ledger rows (released runs excluded). */
async function counters(db: Database) {
  return queryRows<{ user_id: string; used: number; ledger: number }>(
    db,
    sql`select a.personal_user_id as user_id, p.used,
          (select count(*)::int from usage_ledger l
            where l.account_id = p.account_id and l.period_id = p.id and l.state <> 'released') as ledger
        from usage_periods p join accounts a on a.id = p.account_id order by a.personal_user_id`,
  );
}

describe('authorize with grouped commits', () => {
  it(
    'exactness: 60 concurrent runs of one FREE account admit exactly its limit, in shared commits',
    async () => {
      const usage = usageService(handle.db);
      const calls = Array.from({ length: 60 }, (_, i): [string, string] => ['hot-user', `run-${i}`]);
      expect(tally(await authorizeAll(usage, calls))).toEqual({ ok: FREE_LIMIT, PAYMENT_REQUIRED: 50 });
      expect(await counters(handle.db)).toEqual([
        { user_id: 'hot-user', used: FREE_LIMIT, ledger: FREE_LIMIT },
      ]);
      const stats = usage.batchStats();
      expect(stats?.items).toBe(60);
      expect(stats?.batches).toBeLessThan(60);
      // Releasing a run granted in a group works exactly as for a single-run one.
      await expect(usage.release(SERVICE, personalTenant('hot-user'), 'run-0')).resolves.toEqual({
        runId: 'run-0',
        released: true,
        isReplay: false,
      });
      expect(await counters(handle.db)).toEqual([{ user_id: 'hot-user', used: 9, ledger: 9 }]);
    },
    SLOW,
  );

  it(
    'idempotency: a run id repeated inside one group and again in later groups is charged once',
    async () => {
      const usage = usageService(handle.db, { windowMs: 20, maxSize: 256 });
      const first = await authorizeAll(usage, [
        ['u1', 'same'],
        ['u1', 'same'],
        ['u1', 'other'],
        ['u1', 'same'],
      ]);
      expect(first).toEqual(['ok', 'replay', 'ok', 'replay']);
      expect(usage.batchStats()?.batches).toBe(1);
      const again = await authorizeAll(usage, [
        ['u1', 'other'],
        ['u1', 'same'],
      ]);
      expect(again).toEqual(['replay', 'replay']);
      const answer = await usage.authorize(SERVICE, personalTenant('u1'), 'same');
      expect(answer).toMatchObject({ isReplay: true, used: 2, remaining: FREE_LIMIT - 2 });
      expect(await counters(handle.db)).toEqual([{ user_id: 'u1', used: 2, ledger: 2 }]);
    },
    SLOW,
  );

  it(
    'many tenants in one group: 80 accounts (created on first use) with 3 runs each',
    async () => {
      const usage = usageService(handle.db, { windowMs: 20, maxSize: 1000 });
      const users = Array.from({ length: 80 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);
      const calls = users.flatMap((u) => [0, 1, 2].map((r): [string, string] => [u, `run-${r}`]));
      expect(tally(await authorizeAll(usage, calls))).toEqual({ ok: 240 });
      expect(usage.batchStats()).toMatchObject({ batches: 1, items: 240, failedBatches: 0 });
      const rows = await counters(handle.db);
      expect(rows).toHaveLength(80);
      expect(rows.every((r) => r.used === 3 && r.ledger === 3)).toBe(true);
    },
    SLOW,
  );

  it(
    'a poisoned request fails only its own caller; its group neighbours are answered and nothing is lost',
    async () => {
      const usage = usageService(handle.db, { windowMs: 20, maxSize: 256 });
      // A NUL byte can't be stored in a PostgreSQL text column: the group's transaction fails as a whole.
      const calls: Array<[string, string]> = [
        ['p1', 'a'],
        ['p2', 'a'],
        ['p1', 'bad\u0000run'],
        ['p1', 'b'],
        ['p2', 'a'],
      ];
      const answers = await authorizeAll(usage, calls);
      // The group failed as a whole; its callers were then served one by one, concurrently, so which
      // of the two p2/a calls came first is not fixed — one consumed, the other a replay.
      expect(answers[2]).toBe('error');
      expect(tally(answers)).toEqual({ ok: 3, replay: 1, error: 1 });
      expect(usage.batchStats()).toMatchObject({ batches: 1, failedBatches: 1 });
      expect(await counters(handle.db)).toEqual([
        { user_id: 'p1', used: 2, ledger: 2 },
        { user_id: 'p2', used: 1, ledger: 1 },
      ]);
    },
    SLOW,
  );

  it(
    'a failing grouped statement (a run of a user whose row is missing) changes nothing and each caller is retried alone',
    async () => {
      // The repository level, without the service creating accounts on first use: the foreign key fails.
      const user = await createUser(handle.db, { email: 'fk@example.test' });
      await ensurePersonalAccount(handle.db, user.id, NOW);
      const period = { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-04-01T00:00:00Z') };
      const input = (userId: string, runId: string): ReserveRunInput => ({
        accountId: personalAccountId(userId),
        userId,
        countsMember: false,
        runId,
        period,
        limit: 3,
        units: 1,
        isBlocked: false,
        fingerprint: runId,
        actor: SERVICE,
        now: NOW,
      });
      const batcher = createRunBatcher<ReserveRunInput, ReserveRunResult>({
        windowMs: 20,
        maxSize: 100,
        runBatch: async (inputs) =>
          (await reserveRuns(handle.db, inputs)).map((value) => ({ ok: true, value })),
        runOne: async (one) => {
          const [result] = await reserveRuns(handle.db, [one]);
          if (!result) throw new Error('no result');
          return result;
        },
      });
      const results = await Promise.allSettled(
        [
          input(user.id, 'r1'),
          input('ghost', 'r1'),
          input(user.id, 'r2'),
          input(user.id, 'r3'),
          input(user.id, 'r4'),
        ].map((one) => batcher.submit(one)),
      );
      const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value.outcome : 'error'));
      expect(outcomes[1]).toBe('error');
      // Retried one by one (concurrently): exactly three of the four real runs fit under the limit.
      expect(tally(outcomes)).toEqual({ reserved: 3, limit_reached: 1, error: 1 });
      expect(batcher.stats()).toMatchObject({ batches: 1, failedBatches: 1 });
      expect(await counters(handle.db)).toEqual([{ user_id: user.id, used: 3, ledger: 3 }]);
    },
    SLOW,
  );

  it(
    'with batching off every run is its own transaction, with the same answers',
    async () => {
      const usage = usageService(handle.db, null);
      const calls = Array.from({ length: 15 }, (_, i): [string, string] => ['solo', `run-${i}`]);
      expect(tally(await authorizeAll(usage, calls))).toEqual({ ok: 10, PAYMENT_REQUIRED: 5 });
      expect(tally(await authorizeAll(usage, calls))).toEqual({ replay: 10, PAYMENT_REQUIRED: 5 });
      expect(usage.batchStats()).toBeNull();
      expect(await counters(handle.db)).toEqual([{ user_id: 'solo', used: 10, ledger: 10 }]);
    },
    SLOW,
  );
});

// Two server processes = two pools, each with its own batcher, on one PostgreSQL database.
const serverUrl = testPostgresServerUrl();
if (serverUrl) {
  describe('two batchers on one PostgreSQL database', () => {
    it(
      'stay exact: every account gets exactly its limit, ledger rows == counters',
      async () => {
        const scratch = await createScratchDatabase(serverUrl);
        const first = await createDb({ databaseUrl: scratch.url, poolSize: 4 });
        const second = await createDb({ databaseUrl: scratch.url, poolSize: 4 });
        try {
          const one = usageService(first.db);
          const two = usageService(second.db);
          const calls = Array.from({ length: 12 }, (_, u) =>
            Array.from({ length: 25 }, (_, r): [string, string] => [`acct-${u}`, `run-${r}`]),
          ).flat();
          // Every call is made once through each process.
          const [a, b] = await Promise.all([
            authorizeAll(one, calls),
            authorizeAll(two, [...calls].reverse()),
          ]);
          expect(tally([...a, ...b])).toEqual({ ok: 120, replay: 120, PAYMENT_REQUIRED: 360 });
          const rows = await counters(first.db);
          expect(rows).toHaveLength(12);
          expect(rows.every((r) => r.used === FREE_LIMIT && r.ledger === FREE_LIMIT)).toBe(true);
        } finally {
          await Promise.all([first.close(), second.close()]);
          await scratch.drop();
        }
      },
      SLOW,
    );
  });
}
