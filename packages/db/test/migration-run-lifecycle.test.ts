import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, personalAccountId, queryRows, reserveRuns, type Database } from '../src';
import { createScratchDatabase, testPostgresServerUrl } from '../src/testing';
import { scratchPool } from './scratch-pool';

// A database on the schema before the run lifecycle (migration 0000 only), filled the way the old code
// filled it, then migrated to the latest schema: every run keeps its charge and gets the state it had
// in fact, and no old run id can be used again.
const DAY = 86_400_000;
const now = Date.now();
const iso = (offsetDays: number) => new Date(now + offsetDays * DAY).toISOString();

let folder: string;
let db: Database;
let migrateTo: (migrationsFolder: string) => Promise<void>;
let close: () => Promise<void>;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'tollgate-migrations-'));
  await mkdir(join(folder, 'meta'));
  await copyFile(join(MIGRATIONS_FOLDER, '0000_init.sql'), join(folder, '0000_init.sql'));
  const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  await writeFile(
    join(folder, 'meta/_journal.json'),
    JSON.stringify({ ...journal, entries: journal.entries.slice(0, 1) }),
  );

  const serverUrl = testPostgresServerUrl();
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl);
    const pool = scratchPool(scratch.url, 2);
    const pgDb = drizzlePg({ client: pool });
    db = pgDb as unknown as Database;
    migrateTo = (migrationsFolder) => migratePg(pgDb, { migrationsFolder });
    close = async () => {
      await pool.end();
      await scratch.drop();
    };
  } else {
    const client = await PGlite.create('memory://');
    const pgliteDb = drizzlePglite({ client });
    db = pgliteDb as unknown as Database;
    migrateTo = (migrationsFolder) => migratePglite(pgliteDb, { migrationsFolder });
    close = () => client.close();
  }
}, 120_000);
afterAll(async () => {
  await close?.();
  await rm(folder, { recursive: true, force: true });
});

describe('migrating today’s ledger to the run lifecycle', () => {
  it('keeps every charge, gives each run the state it had, and makes every old run id unusable', async () => {
    await migrateTo(folder);
    // Old schema: no auth_source, no run_limit, no lifecycle columns.
    const legacyRows = `
      insert into users (id, email, password_hash, created_at) values
        ('alice', 'alice@example.test', 'argon-hash', '${iso(-40)}'),
        ('host-bob', null, null, '${iso(-40)}');
      insert into subscriptions (user_id, plan, status, current_period_start, current_period_end) values
        ('alice', 'PRO', 'active', '${iso(-5)}', '${iso(25)}'),
        ('host-bob', 'FREE', 'active', null, null);
      insert into usage_periods (id, user_id, period_start, period_end, used) values
        ('00000000-0000-4000-8000-000000000001', 'alice', '${iso(-35)}', '${iso(-5)}', 420),
        ('00000000-0000-4000-8000-000000000002', 'alice', '${iso(-5)}', '${iso(25)}', 2),
        ('00000000-0000-4000-8000-000000000003', 'host-bob', '${iso(-10)}', '${iso(20)}', 1);
      insert into agent_sessions (id, user_id, title) values
        ('00000000-0000-4000-8000-0000000000a1', 'alice', 'Research');
      insert into usage_ledger (user_id, run_id, period_id, created_at, released_at) values
        ('alice', 'done', '00000000-0000-4000-8000-000000000002', '${iso(-1)}', null),
        ('alice', 'mid-run', '00000000-0000-4000-8000-000000000002', '${iso(-1)}', null),
        ('alice', 'refunded', '00000000-0000-4000-8000-000000000002', '${iso(-1)}', '${iso(-1)}'),
        ('host-bob', 'svc-run', '00000000-0000-4000-8000-000000000003', '${iso(-2)}', null);
      insert into agent_runs (session_id, user_id, run_id, prompt, reply, status, created_at, finished_at) values
        ('00000000-0000-4000-8000-0000000000a1', 'alice', 'done', 'p', 'r', 'completed', '${iso(-1)}', '${iso(-1)}'),
        ('00000000-0000-4000-8000-0000000000a1', 'alice', 'mid-run', 'p', null, 'started', '${iso(-1)}', null),
        ('00000000-0000-4000-8000-0000000000a1', 'alice', 'refunded', 'p', null, 'failed', '${iso(-1)}', '${iso(-1)}');
`;
    // One statement per call: PGlite's extended protocol takes one at a time.
    for (const statement of legacyRows.split(';').filter((text) => text.trim())) {
      await db.execute(sql.raw(statement));
    }

    await migrateTo(MIGRATIONS_FOLDER);

    const users = await queryRows<{ id: string; auth_source: string }>(
      db,
      sql`select id, auth_source from users order by id`,
    );
    expect(users).toEqual([
      { id: 'alice', auth_source: 'password' },
      { id: 'host-bob', auth_source: 'host' },
    ]);
    // Since billing accounts (0004), every tenant row belongs to its user's personal account.
    const alice = personalAccountId('alice');
    const bob = personalAccountId('host-bob');
    const periods = await queryRows<{ account_id: string; id: string; used: number; run_limit: number }>(
      db,
      sql`select account_id, id, used, run_limit from usage_periods order by id`,
    );
    expect(periods).toEqual([
      // Over: records at least what it used. In force: its plan's limit.
      { account_id: alice, id: '00000000-0000-4000-8000-000000000001', used: 420, run_limit: 420 },
      { account_id: alice, id: '00000000-0000-4000-8000-000000000002', used: 2, run_limit: 1000 },
      { account_id: bob, id: '00000000-0000-4000-8000-000000000003', used: 1, run_limit: 10 },
    ]);
    const ledger = await queryRows<{
      account_id: string;
      user_id: string;
      run_id: string;
      state: string;
      units_settled: number | null;
      started: boolean;
      settled: boolean;
      release_reason: string | null;
      fingerprint: string;
    }>(
      db,
      sql`select account_id, user_id, run_id, state, units_settled, started_at is not null as started,
            settled_at is not null as settled, release_reason, fingerprint from usage_ledger order by run_id`,
    );
    expect(
      ledger.map(({ fingerprint, ...rest }) => ({ ...rest, isLegacy: fingerprint.startsWith('legacy:') })),
    ).toEqual([
      {
        account_id: alice,
        user_id: 'alice',
        run_id: 'done',
        state: 'settled',
        units_settled: 1,
        started: true,
        settled: true,
        release_reason: null,
        isLegacy: true,
      },
      {
        account_id: alice,
        user_id: 'alice',
        run_id: 'mid-run',
        state: 'started',
        units_settled: null,
        started: true,
        settled: false,
        release_reason: null,
        isLegacy: true,
      },
      {
        account_id: alice,
        user_id: 'alice',
        run_id: 'refunded',
        state: 'released',
        units_settled: null,
        started: false,
        settled: false,
        release_reason: 'legacy',
        isLegacy: true,
      },
      {
        account_id: bob,
        user_id: 'host-bob',
        run_id: 'svc-run',
        state: 'started',
        units_settled: null,
        started: true,
        settled: false,
        release_reason: null,
        isLegacy: true,
      },
    ]);

    // No old run id is a free pass, whoever sends it and whatever it claims.
    const period = { start: new Date(iso(-5)), end: new Date(iso(25)) };
    const retries = await reserveRuns(
      db,
      ['done', 'mid-run', 'refunded'].map((runId) => ({
        accountId: alice,
        userId: 'alice',
        countsMember: false,
        runId,
        period,
        limit: 1000,
        units: 1,
        isBlocked: false,
        fingerprint: 'anything',
        actor: { kind: 'user' as const, id: 'alice' },
        now: new Date(),
      })),
    );
    expect(retries.map((r) => r.outcome)).toEqual([
      'fingerprint_mismatch',
      'fingerprint_mismatch',
      'fingerprint_mismatch',
    ]);
    expect(retries.every((r) => r.used === 2)).toBe(true);

    // The agent history moved with its ledger: same account, same member.
    expect(
      await queryRows<{ account_id: string; user_id: string; run_id: string }>(
        db,
        sql`select account_id, user_id, run_id from agent_runs order by run_id`,
      ),
    ).toEqual(
      ['done', 'mid-run', 'refunded'].map((runId) => ({
        account_id: alice,
        user_id: 'alice',
        run_id: runId,
      })),
    );
    expect(
      await queryRows<{ account_id: string; user_id: string }>(
        db,
        sql`select account_id, user_id from agent_sessions`,
      ),
    ).toEqual([{ account_id: alice, user_id: 'alice' }]);
  });
});
