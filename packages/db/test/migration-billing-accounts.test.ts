import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  DEFAULT_PAYMENT_GRACE_DAYS,
  decideRun,
  freePeriodAt,
  freeSubscriptionState,
  resolveEntitlement,
  type SubscriptionState,
  type UsagePeriod,
} from '@tollgate/domain';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countChargedRuns,
  findLedgerEntry,
  getSubscriptionState,
  getUsage,
  listDuplicateSubscriptionsOfAccount,
  listRuns,
  listSessions,
  MIGRATIONS_FOLDER,
  personalAccountId,
  queryRows,
  reserveRuns,
  type Database,
} from '../src';
import { createScratchDatabase, testPostgresServerUrl } from '../src/testing';
import { scratchPool } from './scratch-pool';

/** The value, or a failed test naming what was missing (instead of a non-null assertion). */
function must<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error('expected a value, got none');
  return value;
}

// Issue 15's "must show": a database on today's schema (migrations 0000–0003), filled with several users
// on each plan and status, mid-period usage, runs in every ledger state, sessions and a duplicate
// subscription, is migrated to billing accounts (0004 and later). Per tenant (the user before, its
// personal account after) the ledger rows, every period's used and limit, the subscription and the
// entitlement decision at a fixed instant T are the same before and after; and the migrated schema is
// exactly the one a fresh database migrated from zero gets.

/** The fixed instant every decision is taken at. Every date below is relative to it. */
const T = new Date('2026-06-15T12:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (days: number, hours = 0, minutes = 0) =>
  new Date(T.getTime() + days * DAY + hours * HOUR + minutes * MINUTE);
const GRACE = { graceDays: DEFAULT_PAYMENT_GRACE_DAYS };
/** The last migration of today's schema (journal entries 0..3). */
const LEGACY_MIGRATIONS = 4;

// ---------------------------------------------------------------------------------------------------
// Today's data, as raw rows of the 0003 schema.

type SqlValue = string | number | boolean | null | Date | readonly string[];
type Row = Record<string, SqlValue>;

const uuidOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

interface LegacyTenant {
  user: Row & { id: string; created_at: Date };
  subscription: (Row & { created_at: Date }) | null;
  periods: Row[];
  ledger: Row[];
  sessions: Row[];
  runs: Row[];
  duplicates: Row[];
}

type LedgerState = 'reserved' | 'started' | 'settled' | 'released';
interface LedgerSpec {
  runId: string;
  period: Row;
  state: LedgerState;
  reservedAt: Date;
  units?: number;
  unitsSettled?: number;
  actor?: { kind: 'user' | 'service' | 'internal' | 'legacy'; id: string };
  releaseReason?: 'service' | 'start_timeout' | 'backend_not_started' | 'legacy';
  reviewReason?: string;
  /** The agent_runs row's status; none when the run was never recorded in a session. */
  runStatus?: 'started' | 'completed' | 'failed' | 'unconfirmed';
}

let sequence = 0;

function tenant(input: {
  id: string;
  createdAt: Date;
  isHost?: boolean;
  platformRole?: boolean;
  subscription: (Row & { plan: string; status: string; created_at: Date }) | null;
  periods?: Array<{ period: UsagePeriod; used: number; runLimit: number }>;
  ledger?: (periods: Row[]) => LedgerSpec[];
  deletedSession?: boolean;
  duplicate?: boolean;
}): LegacyTenant {
  const { id } = input;
  const slug = id.replace(/[^a-z0-9]/gi, '').toLowerCase() || 'user';
  const user: LegacyTenant['user'] = {
    id,
    email: input.isHost ? null : `${slug}@example.test`,
    password_hash: input.isHost ? null : `$argon2id$v=19$${slug}`,
    auth_source: input.isHost ? 'host' : 'password',
    created_at: input.createdAt,
    ...(input.platformRole
      ? {
          platform_role: 'operator',
          platform_role_granted_at: at(-50),
          platform_role_granted_by: 'bootstrap',
        }
      : {}),
  };
  const periods = (input.periods ?? []).map(({ period, used, runLimit }) => ({
    id: uuidOf(100 + ++sequence),
    user_id: id,
    period_start: period.start,
    period_end: period.end,
    used,
    run_limit: runLimit,
  }));
  const specs = input.ledger?.(periods) ?? [];
  const sessions: Row[] = [];
  const runs: Row[] = [];
  const session = (deletedAt: Date | null): Row => {
    const row: Row = {
      id: uuidOf(200 + ++sequence),
      user_id: id,
      title: `Session ${sequence} of ${id}`,
      created_at: at(-60, sequence),
      updated_at: at(-1, sequence),
      deleted_at: deletedAt,
    };
    sessions.push(row);
    return row;
  };
  const live = specs.some((spec) => spec.runStatus) ? session(null) : null;
  const ledger = specs.map((spec): Row => {
    const actor = spec.actor ?? { kind: 'user', id };
    const started = new Date(spec.reservedAt.getTime() + MINUTE);
    const finished = new Date(spec.reservedAt.getTime() + 5 * MINUTE);
    const isStarted =
      spec.state === 'started' ||
      spec.state === 'settled' ||
      (spec.state === 'released' && spec.releaseReason === 'backend_not_started');
    if (live && spec.runStatus) {
      runs.push({
        id: uuidOf(400 + ++sequence),
        session_id: live.id as string,
        user_id: id,
        run_id: spec.runId,
        prompt: `prompt of ${spec.runId}`,
        reply: spec.runStatus === 'completed' ? `reply to ${spec.runId}` : null,
        status: spec.runStatus,
        created_at: spec.reservedAt,
        finished_at: spec.runStatus === 'completed' || spec.runStatus === 'failed' ? finished : null,
      });
    }
    return {
      id: uuidOf(300 + ++sequence),
      user_id: id,
      run_id: spec.runId,
      period_id: spec.period.id as string,
      state: spec.state,
      units_reserved: spec.units ?? 1,
      units_settled: spec.state === 'settled' ? (spec.unitsSettled ?? spec.units ?? 1) : null,
      actor_kind: actor.kind,
      actor_id: actor.id,
      fingerprint: `fp:${actor.kind}:${actor.id}:${spec.runId}`,
      reserved_at: spec.reservedAt,
      started_at: isStarted ? started : null,
      start_attempt: isStarted ? `attempt-${spec.runId}` : null,
      settled_at: spec.state === 'settled' ? finished : null,
      released_at: spec.state === 'released' ? finished : null,
      release_reason: spec.state === 'released' ? (spec.releaseReason ?? 'service') : null,
      review_reason: spec.reviewReason ?? null,
    };
  });
  if (input.deletedSession) {
    // A hidden session keeps its runs (their ids stay spent).
    const hidden = session(at(-2));
    runs.push({
      id: uuidOf(400 + ++sequence),
      session_id: hidden.id as string,
      user_id: id,
      run_id: 'hidden-run',
      prompt: 'prompt of a hidden session',
      reply: 'reply',
      status: 'completed',
      created_at: at(-30),
      finished_at: at(-30, 0, 5),
    });
  }
  const duplicates: Row[] = input.duplicate
    ? [
        {
          id: uuidOf(500 + ++sequence),
          user_id: id,
          kept_stripe_subscription_id: `sub_${slug}`,
          canceled_stripe_subscription_id: `sub_${slug}_duplicate`,
          canceled_plan: 'BASIC',
          amount_owed: 1900,
          currency: 'usd',
          detected_at: at(-9),
          canceled_at: at(-9, 0, 1),
          last_error: null,
          refunded_at: null,
        },
      ]
    : [];
  const subscription = input.subscription ? { user_id: id, ...input.subscription } : null;
  return { user, subscription, periods, ledger, sessions, runs, duplicates };
}

/** The FREE periods anchored the way today's hot path anchors them: on the subscription row's created_at. */
function freePeriods(anchor: Date): { current: UsagePeriod; previous: UsagePeriod } {
  const current = freePeriodAt(anchor, T);
  return { current, previous: freePeriodAt(anchor, new Date(current.start.getTime() - 1)) };
}
const window = (fromDays: number, toDays: number): UsagePeriod => ({ start: at(fromDays), end: at(toDays) });

function legacyTenants(): LegacyTenant[] {
  sequence = 0;
  // FREE, password user, subscription row made a day after the user: its periods follow the row.
  const freeAnchor = at(-99, 7, 13);
  const free = freePeriods(freeAnchor);
  // FREE, host user (no email, no password), an id no uuid column could hold; no row for the current
  // period yet (its next run creates it).
  const hostCreated = at(-40, 3, 17);
  const host = freePeriods(hostCreated);
  const trialOnAnchor = at(-200, 1, 1);
  const trialOverCreated = at(-300);
  const canceledAnchor = at(-90, 2, 42);
  const enterpriseAnchor = at(-400, 9, 30);
  return [
    tenant({
      id: 'pw-free-4c1a',
      createdAt: at(-100),
      platformRole: true,
      subscription: { plan: 'FREE', status: 'active', created_at: freeAnchor, updated_at: at(-99, 7, 13) },
      periods: [
        { period: free.previous, used: 10, runLimit: 10 },
        { period: free.current, used: 4, runLimit: 10 },
      ],
      ledger: ([previous, current]) => [
        {
          runId: 'run-1',
          period: must(previous),
          state: 'settled',
          reservedAt: at(-20),
          runStatus: 'completed',
        },
        {
          runId: 'run-2',
          period: must(previous),
          state: 'released',
          releaseReason: 'legacy',
          reservedAt: at(-19),
          actor: { kind: 'legacy', id: 'legacy' },
        },
        {
          runId: 'run-3',
          period: must(current),
          state: 'settled',
          reservedAt: at(-3),
          runStatus: 'completed',
        },
        { runId: 'run-4', period: must(current), state: 'started', reservedAt: at(-1), runStatus: 'started' },
        { runId: 'run-5', period: must(current), state: 'reserved', reservedAt: at(0, -1) },
        {
          runId: 'run-6',
          period: must(current),
          state: 'released',
          releaseReason: 'service',
          reservedAt: at(-2),
          runStatus: 'failed',
        },
      ],
      deletedSession: true,
    }),
    tenant({
      id: "host|o'brien-ünï 用户",
      createdAt: hostCreated,
      isHost: true,
      subscription: { plan: 'FREE', status: 'active', created_at: hostCreated, updated_at: hostCreated },
      periods: [{ period: host.previous, used: 10, runLimit: 10 }],
      ledger: ([previous]) => [
        {
          runId: 'run-1',
          period: must(previous),
          state: 'settled',
          reservedAt: host.previous.start,
          actor: { kind: 'service', id: uuidOf(9001) },
          runStatus: 'completed',
        },
        {
          runId: 'run-2',
          period: must(previous),
          state: 'released',
          releaseReason: 'start_timeout',
          reservedAt: at(-15),
          actor: { kind: 'service', id: uuidOf(9001) },
        },
        {
          runId: 'run-3',
          period: must(previous),
          state: 'released',
          releaseReason: 'backend_not_started',
          reservedAt: at(-14),
          actor: { kind: 'service', id: uuidOf(9001) },
          runStatus: 'failed',
        },
      ],
    }),
    tenant({
      id: 'trial-on',
      createdAt: at(-200),
      subscription: {
        plan: 'TRIAL',
        status: 'trialing',
        trial_start: at(-3),
        trial_end: at(11),
        trial_used_at: at(-3),
        stripe_customer_id: 'cus_trial_on',
        created_at: trialOnAnchor,
        updated_at: at(-3),
      },
      periods: [
        // The FREE period the trial interrupted keeps what it used as its limit (applyPeriodLimit).
        { period: freePeriodAt(trialOnAnchor, at(-3)), used: 6, runLimit: 6 },
        { period: window(-3, 11), used: 21, runLimit: 50 },
      ],
      ledger: ([before, trial]) => [
        {
          runId: 'run-1',
          period: must(before),
          state: 'settled',
          reservedAt: at(-5),
          runStatus: 'completed',
        },
        {
          runId: 'run-2',
          period: must(trial),
          state: 'settled',
          units: 3,
          unitsSettled: 2,
          reservedAt: at(-2),
          actor: { kind: 'internal', id: 'scheduler' },
          runStatus: 'completed',
        },
        {
          runId: 'run-3',
          period: must(trial),
          state: 'started',
          reservedAt: at(-1),
          reviewReason: 'the agent backend never confirmed the start',
          runStatus: 'unconfirmed',
        },
        { runId: 'run-4', period: must(trial), state: 'reserved', reservedAt: at(0, 0, -2) },
        {
          runId: 'run-5',
          period: must(trial),
          state: 'released',
          releaseReason: 'service',
          reservedAt: at(-1, 2),
        },
      ],
    }),
    tenant({
      id: 'trial-over',
      createdAt: trialOverCreated,
      subscription: {
        plan: 'TRIAL',
        status: 'trialing',
        trial_start: at(-20),
        trial_end: at(-6),
        trial_used_at: at(-20),
        created_at: trialOverCreated,
        updated_at: at(-20),
      },
      periods: [
        { period: window(-20, -6), used: 50, runLimit: 50 },
        // The trial ended (not yet swept back to FREE): the FREE period in force is used up.
        { period: freePeriodAt(trialOverCreated, T), used: 10, runLimit: 10 },
      ],
      ledger: ([trial, current]) => [
        {
          runId: 'run-1',
          period: must(trial),
          state: 'settled',
          reservedAt: at(-10),
          runStatus: 'completed',
        },
        {
          runId: 'run-2',
          period: must(current),
          state: 'settled',
          reservedAt: at(-4),
          runStatus: 'completed',
        },
        {
          runId: 'run-3',
          period: must(current),
          state: 'started',
          reservedAt: at(-1),
          runStatus: 'unconfirmed',
        },
      ],
    }),
    tenant({
      id: 'basic-active',
      createdAt: at(-80),
      subscription: {
        plan: 'BASIC',
        status: 'active',
        current_period_start: at(-10),
        current_period_end: at(20),
        stripe_customer_id: 'cus_basic',
        stripe_subscription_id: 'sub_basicactive',
        stripe_price_id: 'price_basic',
        stripe_synced_at: at(-10),
        stripe_sync_ticket: 7,
        created_at: at(-79, 5),
        updated_at: at(-10),
      },
      periods: [
        { period: window(-40, -10), used: 100, runLimit: 100 },
        { period: window(-10, 20), used: 42, runLimit: 100 },
      ],
      ledger: ([previous, current]) => [
        {
          runId: 'run-1',
          period: must(previous),
          state: 'settled',
          reservedAt: at(-30),
          actor: { kind: 'service', id: uuidOf(9002) },
          runStatus: 'completed',
        },
        {
          runId: 'run-2',
          period: must(current),
          state: 'settled',
          reservedAt: at(-5),
          runStatus: 'completed',
        },
        { runId: 'run-3', period: must(current), state: 'started', reservedAt: at(-1), runStatus: 'started' },
        {
          runId: 'run-4',
          period: must(current),
          state: 'reserved',
          reservedAt: at(0, 0, -1),
          actor: { kind: 'service', id: uuidOf(9002) },
        },
        {
          runId: 'run-5',
          period: must(current),
          state: 'released',
          releaseReason: 'service',
          reservedAt: at(-2),
          actor: { kind: 'service', id: uuidOf(9002) },
        },
      ],
      duplicate: true,
    }),
    tenant({
      id: 'pro-ending',
      createdAt: at(-120),
      subscription: {
        plan: 'PRO',
        status: 'active',
        current_period_start: at(-25),
        current_period_end: at(5),
        cancel_at_period_end: true,
        // An old Tollgate trial: ignored by a paid plan.
        trial_start: at(-110),
        trial_end: at(-96),
        trial_used_at: at(-110),
        stripe_customer_id: 'cus_pro_ending',
        stripe_subscription_id: 'sub_pro_ending',
        stripe_price_id: 'price_pro',
        created_at: at(-120),
        updated_at: at(-25),
      },
      periods: [{ period: window(-25, 5), used: 999, runLimit: 1000 }],
      ledger: ([current]) => [
        {
          runId: 'run-1',
          period: must(current),
          state: 'settled',
          unitsSettled: 0,
          reservedAt: at(-3),
          runStatus: 'completed',
        },
      ],
    }),
    tenant({
      id: 'pro-grace',
      createdAt: at(-60),
      subscription: {
        plan: 'PRO',
        status: 'past_due',
        current_period_start: at(-3),
        current_period_end: at(27),
        past_due_since: at(-2),
        stripe_customer_id: 'cus_pro_grace',
        stripe_subscription_id: 'sub_pro_grace',
        stripe_price_id: 'price_pro',
        created_at: at(-59, 23),
        updated_at: at(-2),
      },
      periods: [
        { period: window(-33, -3), used: 1000, runLimit: 1000 },
        { period: window(-3, 27), used: 300, runLimit: 1000 },
      ],
      ledger: ([, current]) => [
        { runId: 'run-1', period: must(current), state: 'started', reservedAt: at(-1), runStatus: 'started' },
      ],
    }),
    tenant({
      id: 'pro-blocked',
      createdAt: at(-70),
      subscription: {
        plan: 'PRO',
        status: 'past_due',
        current_period_start: at(-12),
        current_period_end: at(18),
        past_due_since: at(-12),
        stripe_customer_id: 'cus_pro_blocked',
        stripe_subscription_id: 'sub_pro_blocked',
        stripe_price_id: 'price_pro',
        unknown_stripe_price_id: 'price_mystery',
        deleted_stripe_customer_id: 'cus_old_deleted',
        created_at: at(-70),
        updated_at: at(-12),
      },
      periods: [
        { period: window(-12, 18), used: 12, runLimit: 1000 },
        // Past its grace it runs on Free entitlements; these are used up, so its 402 is PAYMENT_PAST_DUE.
        { period: freePeriodAt(at(-70), T), used: 10, runLimit: 10 },
      ],
      ledger: ([current]) => [
        {
          runId: 'run-1',
          period: must(current),
          state: 'settled',
          reservedAt: at(-11),
          runStatus: 'completed',
        },
        {
          runId: 'run-2',
          period: must(current),
          state: 'released',
          releaseReason: 'backend_not_started',
          reservedAt: at(-10),
          runStatus: 'failed',
        },
      ],
    }),
    tenant({
      id: 'basic-canceled',
      createdAt: at(-90),
      subscription: {
        plan: 'BASIC',
        status: 'canceled',
        current_period_start: at(-45),
        current_period_end: at(-15),
        stripe_customer_id: 'cus_canceled',
        stripe_subscription_id: 'sub_canceled',
        stripe_price_id: 'price_basic',
        created_at: canceledAnchor,
        updated_at: at(-15),
      },
      periods: [
        // The paid period's limit was cut to what it used when the plan ended; FREE since.
        { period: window(-45, -15), used: 37, runLimit: 37 },
        { period: freePeriodAt(canceledAnchor, T), used: 3, runLimit: 10 },
        // Written by today's Stripe sync, which anchored FREE periods on users.created_at: the hot path
        // never read it, and after the migration it still doesn't.
        { period: freePeriodAt(at(-90), at(-15)), used: 0, runLimit: 10 },
      ],
      ledger: ([paid, current]) => [
        { runId: 'run-1', period: must(paid), state: 'settled', reservedAt: at(-40), runStatus: 'completed' },
        { runId: 'run-2', period: must(current), state: 'reserved', reservedAt: at(0, -2) },
      ],
    }),
    tenant({
      id: 'enterprise',
      createdAt: at(-401),
      subscription: {
        // Invoiced outside Stripe: no Stripe period, so its periods are FREE anniversaries of the row.
        plan: 'ENTERPRISE',
        status: 'active',
        custom_run_limit: 5000,
        created_at: enterpriseAnchor,
        updated_at: at(-30),
      },
      periods: [
        { period: freePeriods(enterpriseAnchor).previous, used: 4800, runLimit: 5000 },
        { period: freePeriodAt(enterpriseAnchor, T), used: 1234, runLimit: 5000 },
      ],
      ledger: ([, current]) => [
        {
          runId: 'run-1',
          period: must(current),
          state: 'settled',
          units: 5,
          reservedAt: at(-1),
          actor: { kind: 'service', id: uuidOf(9003) },
          runStatus: 'completed',
        },
        {
          runId: 'run-2',
          period: must(current),
          state: 'reserved',
          reservedAt: at(0, 0, -3),
          actor: { kind: 'service', id: uuidOf(9003) },
        },
      ],
    }),
    tenant({
      id: 'enterprise-unset',
      createdAt: at(-5),
      subscription: { plan: 'ENTERPRISE', status: 'active', created_at: at(-5), updated_at: at(-5) },
    }),
    // Signed up, never used: no subscription row yet.
    tenant({ id: '0b5c9a4e-3f2d-4c1b-9a8e-7d6f5e4c3b2a', createdAt: at(-1), subscription: null }),
  ];
}

/** Rows of the tables no tenant key touches (their counts must not change either). */
function otherRows(userId: string): Record<string, Row[]> {
  return {
    api_keys: [
      {
        id: uuidOf(9101),
        name: 'backend',
        prefix: 'tg_live_ab',
        key_hash: 'hash-of-key',
        scopes: ['usage:write'],
        created_by_user_id: userId,
        created_at: at(-50),
      },
    ],
    refresh_tokens: [
      {
        id: uuidOf(9201),
        user_id: userId,
        token_hash: 'hash-of-refresh',
        family_id: uuidOf(9202),
        expires_at: at(30),
        created_at: at(-1),
      },
    ],
    stripe_events: [
      {
        id: 'evt_1',
        type: 'customer.subscription.updated',
        stripe_created_at: at(-10),
        received_at: at(-10),
        object_id: 'sub_basicactive',
      },
      {
        id: 'evt_2',
        type: 'invoice.paid',
        stripe_created_at: at(-9),
        received_at: at(-9),
        object_id: 'in_1',
        failure_code: 'account_not_found',
        failure_reason: 'no account for cus_gone',
      },
    ],
    operator_bootstrap_tokens: [
      {
        id: uuidOf(9301),
        token_hash: 'hash-of-bootstrap',
        created_at: at(-51),
        expires_at: at(-50),
        used_at: at(-50),
        used_by_user_id: userId,
      },
    ],
  };
}

function literal(value: SqlValue): string {
  if (value === null) return 'null';
  if (value instanceof Date) return `'${value.toISOString()}'`;
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (Array.isArray(value)) return `array[${value.map((item) => literal(item)).join(', ')}]::text[]`;
  return String(value);
}

/** One INSERT of raw SQL; a column a row doesn't name gets its DEFAULT. */
function insertStatement(table: string, rows: readonly Row[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const values = rows.map(
    (row) =>
      `(${columns.map((column) => (column in row ? literal(row[column] ?? null) : 'default')).join(', ')})`,
  );
  return `insert into "${table}" (${columns.map((column) => `"${column}"`).join(', ')}) values\n  ${values.join(',\n  ')}`;
}

// ---------------------------------------------------------------------------------------------------
// Snapshots: the same reads before (tenant = user_id) and after (tenant = account_id).

interface TenantKey {
  /** `user_id` on today's schema, `account_id` after the migration. */
  column: 'user_id' | 'account_id';
  value: string;
}

/** Dates as ISO strings, numbers as numbers (bigint columns come back as strings from node-postgres). */
function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  // Raw timestamptz text, as drizzle's drivers hand it over ('2026-06-15 12:00:00.5+02'), in any TimeZone.
  const timestamp =
    typeof value === 'string'
      ? /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/.exec(value)
      : null;
  if (timestamp) {
    const [, day, time, hours, minutes] = timestamp;
    return new Date(`${day}T${time}${hours}:${minutes ?? '00'}`).toISOString();
  }
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalize(item)]));
  }
  return value;
}

async function rows(db: Database, query: SQL): Promise<Array<Record<string, unknown>>> {
  return (await queryRows<Record<string, unknown>>(db, query)).map(
    (row) => normalize(row) as Record<string, unknown>,
  );
}

/** `row` restricted to the columns of `like` (a column `like` has and `row` lacks reads as missing). */
function pick(row: Record<string, unknown>, like: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(like).map((column) => [column, column in row ? row[column] : 'missing']),
  );
}

function tenantFilter(alias: string, key: TenantKey): SQL {
  return sql`${sql.raw(`${alias}."${key.column}"`)} = ${key.value}`;
}

interface PeriodRow extends Record<string, unknown> {
  id: string;
  period_start: string;
  period_end: string;
  used: number;
  run_limit: number;
}

interface TenantSnapshot {
  subscription: Record<string, unknown> | null;
  periods: PeriodRow[];
  ledger: Array<Record<string, unknown>>;
  sessions: Array<Record<string, unknown>>;
  runs: Array<Record<string, unknown>>;
  duplicates: Array<Record<string, unknown>>;
}

async function readTenant(db: Database, key: TenantKey): Promise<TenantSnapshot> {
  const [found] = await rows(db, sql`select * from subscriptions s where ${tenantFilter('s', key)}`);
  const subscription = found
    ? Object.fromEntries(Object.entries(found).filter(([column]) => column !== key.column))
    : null;
  const periods = (await rows(
    db,
    sql`select p.id, p.period_start, p.period_end, p.used, p.run_limit from usage_periods p
        where ${tenantFilter('p', key)} order by p.period_start`,
  )) as PeriodRow[];
  const ledger = await rows(
    db,
    sql`select l.id, l.user_id, l.run_id, l.period_id, p.period_start, l.state, l.units_reserved, l.units_settled,
          l.actor_kind, l.actor_id, l.fingerprint, l.reserved_at, l.started_at, l.start_attempt, l.settled_at,
          l.released_at, l.release_reason, l.review_reason
        from usage_ledger l join usage_periods p on p.id = l.period_id and ${tenantFilter('p', key)}
        where ${tenantFilter('l', key)} order by l.run_id`,
  );
  const sessions = await rows(
    db,
    sql`select s.id, s.user_id, s.title, s.created_at, s.updated_at, s.deleted_at from agent_sessions s
        where ${tenantFilter('s', key)} order by s.id`,
  );
  const runs = await rows(
    db,
    sql`select r.id, r.session_id, r.user_id, r.run_id, r.prompt, r.reply, r.status, r.created_at, r.finished_at
        from agent_runs r where ${tenantFilter('r', key)} order by r.run_id`,
  );
  const duplicates = (
    await rows(db, sql`select * from duplicate_subscriptions d where ${tenantFilter('d', key)} order by d.id`)
  ).map(({ [key.column]: _tenant, ...rest }) => rest);
  return { subscription, periods, ledger, sessions, runs, duplicates };
}

/** Today's subscriptions row (snake_case, dates parsed) -> the domain state, anchored on `anchor`. */
function legacyState(row: Record<string, unknown>, anchor: Date): SubscriptionState {
  const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));
  return {
    // Every account of today is a personal one (freeSubscriptionState's defaults).
    ...freeSubscriptionState(anchor),
    plan: row.plan as SubscriptionState['plan'],
    status: row.status as SubscriptionState['status'],
    currentPeriodStart: date(row.current_period_start),
    currentPeriodEnd: date(row.current_period_end),
    cancelAtPeriodEnd: row.cancel_at_period_end as boolean,
    trialStart: date(row.trial_start),
    trialEnd: date(row.trial_end),
    trialUsedAt: date(row.trial_used_at),
    pastDueSince: date(row.past_due_since),
    customRunLimit: (row.custom_run_limit as number | null) ?? null,
    accountCreatedAt: anchor,
    stripeCustomerId: (row.stripe_customer_id as string | null) ?? null,
    stripeSubscriptionId: (row.stripe_subscription_id as string | null) ?? null,
    stripePriceId: (row.stripe_price_id as string | null) ?? null,
  };
}

/**
 * The decision at T as the server makes it: the entitlement of the state, then the period row in force
 * (its stored limit is what admission reads; a missing row is created with the entitlement's limit).
 */
function decisionAt(state: SubscriptionState, periods: readonly PeriodRow[], used?: number) {
  const entitlement = resolveEntitlement(state, T, GRACE);
  const row =
    periods.find((period) => period.period_start === entitlement.period.start.toISOString()) ?? null;
  const usedBefore = used ?? row?.used ?? 0;
  const decision = decideRun({ ...entitlement, limit: row?.run_limit ?? entitlement.limit }, usedBefore);
  return normalize({ entitlement, periodRowId: row?.id ?? null, decision }) as {
    entitlement: Record<string, unknown>;
    periodRowId: string | null;
    decision: { allowed: boolean; code?: string; used: number; limit: number };
  };
}

type Decision = ReturnType<typeof decisionAt>;

const SCHEMA_QUERIES: Record<string, SQL> = {
  columns: sql`select table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default,
      is_identity, is_generated from information_schema.columns where table_schema = 'public'
      order by table_name, ordinal_position`,
  // NOT NULL shows up as CHECK constraints named after the table's oid: the column number is what counts.
  tableConstraints: sql`select table_name,
        regexp_replace(constraint_name, '^[0-9]+_[0-9]+_([0-9]+_not_null)$', 'column_\\1') as constraint_name,
        constraint_type, is_deferrable, initially_deferred
      from information_schema.table_constraints where constraint_schema = 'public'
      order by 1, 2`,
  keyColumns: sql`select table_name, constraint_name, column_name, ordinal_position
      from information_schema.key_column_usage where constraint_schema = 'public'
      order by table_name, constraint_name, ordinal_position`,
  constraints: sql`select conrelid::regclass::text as table_name, conname, contype, pg_get_constraintdef(oid) as definition
      from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2`,
  indexes: sql`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`,
  functions: sql`select proname, pg_get_functiondef(oid) as definition from pg_proc
      where pronamespace = 'public'::regnamespace order by 1`,
  sequences: sql`select sequence_name, data_type, start_value, minimum_value, maximum_value, increment
      from information_schema.sequences where sequence_schema = 'public' order by 1`,
  migrations: sql`select hash from drizzle.__drizzle_migrations order by id`,
};

async function readSchema(db: Database): Promise<Record<string, unknown>> {
  const schema: Record<string, unknown> = {};
  for (const [name, query] of Object.entries(SCHEMA_QUERIES)) schema[name] = await rows(db, query);
  return schema;
}

async function tableCounts(db: Database): Promise<Record<string, number>> {
  const tables = await queryRows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'
        order by table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name: table } of tables) {
    const [row] = await queryRows<{ n: number | string }>(
      db,
      sql.raw(`select count(*)::int as n from "${table}"`),
    );
    counts[table] = Number(row?.n);
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------------
// Databases: PGlite by default, fresh scratch databases on the DATABASE_URL server otherwise.

interface OpenDatabase {
  db: Database;
  migrateTo(migrationsFolder: string): Promise<void>;
  close(): Promise<void>;
}

async function openDatabase(): Promise<OpenDatabase> {
  const serverUrl = testPostgresServerUrl();
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl);
    const pool = scratchPool(scratch.url, 2);
    const pgDb = drizzlePg({ client: pool });
    return {
      db: pgDb as unknown as Database,
      migrateTo: (migrationsFolder) => migratePg(pgDb, { migrationsFolder }),
      close: async () => {
        await pool.end();
        await scratch.drop();
      },
    };
  }
  const client = await PGlite.create('memory://');
  const pgliteDb = drizzlePglite({ client });
  return {
    db: pgliteDb as unknown as Database,
    migrateTo: (migrationsFolder) => migratePglite(pgliteDb, { migrationsFolder }),
    close: () => client.close(),
  };
}

/** The first `count` migrations, in a folder of their own (a truncated journal). */
async function legacyMigrationsFolder(count: number): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'tollgate-migrations-'));
  await mkdir(join(folder, 'meta'));
  const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
    entries: Array<{ tag: string }>;
  };
  const entries = journal.entries.slice(0, count);
  for (const { tag } of entries)
    await copyFile(join(MIGRATIONS_FOLDER, `${tag}.sql`), join(folder, `${tag}.sql`));
  await writeFile(join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries }));
  return folder;
}

// ---------------------------------------------------------------------------------------------------

const tenants = legacyTenants();
const userIds = tenants.map((t) => t.user.id);

let folder: string | undefined;
let migrated: OpenDatabase | undefined;
let fresh: OpenDatabase | undefined;
const before = new Map<
  string,
  TenantSnapshot & { anchor: string; state: SubscriptionState | null; decision: Decision | null }
>();
let countsBefore: Record<string, number> = {};
let accountOf = new Map<string, string>();

beforeAll(async () => {
  folder = await legacyMigrationsFolder(LEGACY_MIGRATIONS);
  migrated = await openDatabase();
  const { db } = migrated;
  await migrated.migrateTo(folder);

  // Today's schema, filled with raw SQL (one statement per call: PGlite's extended protocol).
  const statements = [
    insertStatement(
      'users',
      tenants.map((t) => t.user),
    ),
    insertStatement(
      'subscriptions',
      tenants.flatMap((t) => (t.subscription ? [t.subscription] : [])),
    ),
    insertStatement(
      'usage_periods',
      tenants.flatMap((t) => t.periods),
    ),
    insertStatement(
      'usage_ledger',
      tenants.flatMap((t) => t.ledger),
    ),
    insertStatement(
      'agent_sessions',
      tenants.flatMap((t) => t.sessions),
    ),
    insertStatement(
      'agent_runs',
      tenants.flatMap((t) => t.runs),
    ),
    insertStatement(
      'duplicate_subscriptions',
      tenants.flatMap((t) => t.duplicates),
    ),
    ...Object.entries(otherRows(must(userIds[0]))).map(([table, tableRows]) =>
      insertStatement(table, tableRows),
    ),
  ];
  for (const statement of statements) await db.execute(sql.raw(statement));

  countsBefore = await tableCounts(db);
  for (const userId of userIds) {
    const snapshot = await readTenant(db, { column: 'user_id', value: userId });
    // The instant today's hot path anchors FREE periods on: the subscription row's, else the user's.
    const [anchorRow] = await queryRows<{ anchor: Date | string }>(
      db,
      sql`select coalesce(s.created_at, u.created_at) as anchor from users u
          left join subscriptions s on s.user_id = u.id where u.id = ${userId}`,
    );
    const anchor = new Date(must(anchorRow).anchor);
    const state = snapshot.subscription ? legacyState(snapshot.subscription, anchor) : null;
    const decision = state ? decisionAt(state, snapshot.periods) : null;
    before.set(userId, { ...snapshot, anchor: anchor.toISOString(), state, decision });
  }

  await migrated.migrateTo(MIGRATIONS_FOLDER);
  const accounts = await queryRows<{ id: string; personal_user_id: string }>(
    db,
    sql`select id, personal_user_id from accounts where kind = 'personal'`,
  );
  accountOf = new Map(accounts.map((row) => [row.personal_user_id, row.id]));

  fresh = await openDatabase();
  await fresh.migrateTo(MIGRATIONS_FOLDER);
}, 180_000);

afterAll(async () => {
  await migrated?.close();
  await fresh?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

function accountIdOf(userId: string): string {
  const accountId = accountOf.get(userId);
  if (!accountId) throw new Error(`no personal account for ${userId}`);
  return accountId;
}

function beforeOf(userId: string) {
  const snapshot = before.get(userId);
  if (!snapshot) throw new Error(`no snapshot of ${userId}`);
  return snapshot;
}

describe('migrating today’s tenants to billing accounts (0004)', () => {
  it('covers every plan, status, ledger state and release reason (the fixture is what the test claims)', () => {
    const subscriptions = [...before.values()].flatMap((s) => (s.subscription ? [s.subscription] : []));
    expect(new Set(subscriptions.map((s) => `${s.plan}/${s.status}`))).toEqual(
      new Set([
        'FREE/active',
        'TRIAL/trialing',
        'BASIC/active',
        'BASIC/canceled',
        'PRO/active',
        'PRO/past_due',
        'ENTERPRISE/active',
      ]),
    );
    const ledger = [...before.values()].flatMap((s) => s.ledger);
    expect(new Set(ledger.map((row) => row.state))).toEqual(
      new Set(['reserved', 'started', 'settled', 'released']),
    );
    expect(new Set(ledger.flatMap((row) => (row.release_reason ? [row.release_reason] : [])))).toEqual(
      new Set(['service', 'start_timeout', 'backend_not_started', 'legacy']),
    );
    expect(new Set(ledger.map((row) => row.actor_kind))).toEqual(
      new Set(['user', 'service', 'internal', 'legacy']),
    );
    // Several tenants use the same run ids: the migration must keep them apart.
    expect(ledger.filter((row) => row.run_id === 'run-1').length).toBeGreaterThan(5);
    // The anchor rule is pinned: some subscription rows were made after their user.
    const anchoredLater = userIds.filter((id) => {
      const snapshot = beforeOf(id);
      return (
        snapshot.subscription &&
        snapshot.subscription.created_at !==
          must(tenants.find((t) => t.user.id === id)).user.created_at.toISOString()
      );
    });
    expect(anchoredLater.length).toBeGreaterThanOrEqual(4);
    // Decisions of every kind at T.
    const decisions = [...before.values()].flatMap((s) => (s.decision ? [s.decision] : []));
    expect(new Set(decisions.map(({ decision: d }) => (d.allowed ? 'allowed' : d.code)))).toEqual(
      new Set(['allowed', 'USAGE_LIMIT_REACHED', 'PAYMENT_PAST_DUE', 'NO_RUN_LIMIT']),
    );
    // Mid-period usage is found by today's lookup: the period in force has a row, partly used.
    expect(
      decisions.filter(({ decision: d, periodRowId }) => d.allowed && periodRowId !== null && d.used > 1)
        .length,
    ).toBeGreaterThanOrEqual(6);
  });

  it('gives every user one personal account whose id is personal_account_id(user id), in SQL and in JS', async () => {
    const { db } = must(migrated);
    const accounts = await rows(
      db,
      sql`select a.id, a.kind, a.name, a.personal_user_id, a.created_by_user_id, a.created_at,
            personal_account_id(a.personal_user_id)::text as sql_id from accounts a order by a.personal_user_id`,
    );
    expect(accounts.map((a) => a.personal_user_id as string).sort()).toEqual([...userIds].sort());
    for (const account of accounts) {
      const userId = account.personal_user_id as string;
      expect(account).toMatchObject({ kind: 'personal', name: null, created_by_user_id: userId });
      expect(account.id).toBe(personalAccountId(userId));
      expect(account.sql_id).toBe(account.id);
      expect(account.id).not.toBe(userId);
      // FREE periods stay where they were: the account is as old as the subscription row (else the user).
      expect(account.created_at).toBe(beforeOf(userId).anchor);
    }
    // The user whose id is itself a uuid still gets another id for its account.
    const uuidUser = '0b5c9a4e-3f2d-4c1b-9a8e-7d6f5e4c3b2a';
    expect(accountIdOf(uuidUser)).not.toBe(uuidUser);
  });

  it('computes personal_account_id exactly like personalAccountId for any user id', async () => {
    const { db } = must(migrated);
    const samples = [
      '',
      ' ',
      "o'brien",
      'ünïcødé 用户 🚀',
      'a'.repeat(1000),
      '0b5c9a4e-3f2d-4c1b-9a8e-7d6f5e4c3b2a',
      'auth0|5f7c8ec7c33c6c004bbafe82',
      'line\nbreak\ttab',
      ...Array.from({ length: 200 }, (_, i) => `user-${i}-${(i * 7919).toString(36)}`),
    ];
    const computed = await queryRows<{ user_id: string; id: string }>(
      db,
      sql`select k.user_id, personal_account_id(k.user_id)::text as id
          from unnest(${sql.param(samples)}::text[]) as k(user_id)`,
    );
    expect(computed.map((row) => row.user_id)).toEqual(samples);
    expect(computed.map((row) => row.id)).toEqual(samples.map((id) => personalAccountId(id)));
    // Every variant nibble (8, 9, a, b) and the version digit came out of both.
    expect(new Set(computed.map((row) => row.id.charAt(19)))).toEqual(new Set(['8', '9', 'a', 'b']));
    expect(new Set(computed.map((row) => row.id.charAt(14)))).toEqual(new Set(['8']));
  });

  it('gives each account exactly one membership: its user, as owner', async () => {
    const { db } = must(migrated);
    const memberships = await rows(
      db,
      sql`select m.account_id, m.user_id, m.role, m.created_at, a.created_at as account_created_at
          from account_memberships m join accounts a on a.id = m.account_id order by m.user_id`,
    );
    expect(memberships).toHaveLength(userIds.length);
    for (const membership of memberships) {
      const userId = membership.user_id as string;
      expect(membership).toMatchObject({ account_id: accountIdOf(userId), role: 'owner' });
      expect(membership.created_at).toBe(membership.account_created_at);
    }
    expect(new Set(memberships.map((m) => m.user_id))).toEqual(new Set(userIds));
  });

  it('remembers on the user a trial its subscription row had used (the trial is once per person)', async () => {
    const { db } = must(migrated);
    const users = await rows(db, sql`select id, trial_used_at from users`);
    const trialUsedAt = new Map(users.map((user) => [user.id as string, user.trial_used_at]));
    for (const userId of userIds) {
      const expected = beforeOf(userId).subscription?.trial_used_at ?? null;
      expect({ userId, trialUsedAt: trialUsedAt.get(userId) }).toEqual({ userId, trialUsedAt: expected });
    }
    expect([...trialUsedAt.values()].filter((value) => value !== null)).toHaveLength(3);
  });

  it('keeps, per tenant, the subscription, every period’s used and limit, the ledger, sessions, runs and duplicates', async () => {
    const { db } = must(migrated);
    for (const userId of userIds) {
      const { anchor: _anchor, state: _state, decision: _decision, ...expected } = beforeOf(userId);
      const after = await readTenant(db, { column: 'account_id', value: accountIdOf(userId) });
      // Columns the migration adds (e.g. for seats) are not today's data: today's columns are compared.
      const subscription =
        after.subscription && expected.subscription
          ? pick(after.subscription, expected.subscription)
          : after.subscription;
      const duplicates = after.duplicates.map((row, i) => pick(row, expected.duplicates[i] ?? row));
      expect({ userId, ...after, subscription, duplicates }).toEqual({ userId, ...expected });
    }
  });

  it('keeps every row: the same count in every table, each tenant row under its user’s account', async () => {
    const { db } = must(migrated);
    const countsAfter = await tableCounts(db);
    for (const [table, count] of Object.entries(countsBefore))
      expect({ table, count: countsAfter[table] }).toEqual({ table, count });
    expect(countsAfter.accounts).toBe(countsBefore.users);
    expect(countsAfter.account_memberships).toBe(countsBefore.users);

    // Summed over the tenants, the per-tenant reads cover every row: none is keyed by another account.
    const sum = (pick: (s: TenantSnapshot) => number) =>
      userIds.reduce((total, id) => total + pick(beforeOf(id)), 0);
    expect(countsAfter.subscriptions).toBe(sum((s) => (s.subscription ? 1 : 0)));
    expect(countsAfter.usage_periods).toBe(sum((s) => s.periods.length));
    expect(countsAfter.usage_ledger).toBe(sum((s) => s.ledger.length));
    expect(countsAfter.agent_sessions).toBe(sum((s) => s.sessions.length));
    expect(countsAfter.agent_runs).toBe(sum((s) => s.runs.length));
    expect(countsAfter.duplicate_subscriptions).toBe(sum((s) => s.duplicates.length));

    const tenantTables = [
      'subscriptions',
      'usage_periods',
      'usage_ledger',
      'agent_sessions',
      'agent_runs',
      'duplicate_subscriptions',
    ];
    for (const table of tenantTables) {
      const [orphans] = await queryRows<{ n: number }>(
        db,
        sql.raw(`select count(*)::int as n from "${table}" t
                 where t.account_id is null or not exists (select 1 from accounts a where a.id = t.account_id)`),
      );
      expect({ table, orphans: Number(orphans?.n) }).toEqual({ table, orphans: 0 });
    }
    // Rows that still name their member name the account's own user.
    for (const table of ['usage_ledger', 'agent_sessions', 'agent_runs']) {
      const [mismatched] = await queryRows<{ n: number }>(
        db,
        sql.raw(`select count(*)::int as n from "${table}" t join accounts a on a.id = t.account_id
                 where a.personal_user_id is distinct from t.user_id`),
      );
      expect({ table, mismatched: Number(mismatched?.n) }).toEqual({ table, mismatched: 0 });
    }
  });

  it('reads the same through the repositories the server uses (keyed by account)', async () => {
    const { db } = must(migrated);
    for (const userId of userIds) {
      const accountId = accountIdOf(userId);
      const expected = beforeOf(userId);
      expect({ userId, state: await getSubscriptionState(db, accountId) }).toEqual({
        userId,
        state: expected.state,
      });
      for (const period of expected.periods) {
        const start = new Date(period.period_start);
        expect({ userId, start: period.period_start, used: await getUsage(db, accountId, start) }).toEqual({
          userId,
          start: period.period_start,
          used: period.used,
        });
        const charged = expected.ledger.filter(
          (l) => l.period_id === period.id && l.state !== 'released',
        ).length;
        expect(await countChargedRuns(db, accountId, start)).toBe(charged);
      }
      for (const entry of expected.ledger) {
        const found = await findLedgerEntry(db, { accountId, runId: entry.run_id as string });
        expect(
          normalize({
            id: found?.id,
            user_id: found?.userId,
            run_id: found?.runId,
            period_id: found?.periodId,
            state: found?.state,
            units_reserved: found?.unitsReserved,
            units_settled: found?.unitsSettled,
            actor_kind: found?.actorKind,
            actor_id: found?.actorId,
            fingerprint: found?.fingerprint,
            reserved_at: found?.reservedAt,
            started_at: found?.startedAt,
            start_attempt: found?.startAttempt,
            settled_at: found?.settledAt,
            released_at: found?.releasedAt,
            release_reason: found?.releaseReason,
            review_reason: found?.reviewReason,
          }),
        ).toEqual(Object.fromEntries(Object.entries(entry).filter(([column]) => column !== 'period_start')));
      }
      const owner = { accountId, userId };
      const sessions = await listSessions(db, owner);
      expect(sessions.map((s) => s.id).sort()).toEqual(
        expected.sessions.filter((s) => s.deleted_at === null).map((s) => s.id),
      );
      for (const session of sessions) {
        const runs = await listRuns(db, owner, session.id);
        expect(runs.map((r) => r.runId).sort()).toEqual(
          expected.runs.filter((r) => r.session_id === session.id).map((r) => r.run_id),
        );
      }
      const duplicates = await listDuplicateSubscriptionsOfAccount(db, accountId);
      expect(duplicates.map((d) => d.id)).toEqual(expected.duplicates.map((d) => d.id));
    }
  });

  it('decides the same at T for every tenant: plan, limit, period, used, allowed or the same denial', async () => {
    const { db } = must(migrated);
    for (const userId of userIds) {
      const accountId = accountIdOf(userId);
      const expected = beforeOf(userId);
      const state = await getSubscriptionState(db, accountId);
      if (!expected.decision) {
        expect({ userId, state }).toEqual({ userId, state: null });
        continue;
      }
      expect(state).not.toBeNull();
      const after = await readTenant(db, { column: 'account_id', value: accountId });
      const entitlement = resolveEntitlement(must(state), T, GRACE);
      const used = await getUsage(db, accountId, entitlement.period.start);
      expect({ userId, ...decisionAt(must(state), after.periods, used) }).toEqual({
        userId,
        ...expected.decision,
      });
    }
  });

  it('has exactly the schema of a database migrated from zero', async () => {
    const [populated, empty] = await Promise.all([readSchema(must(migrated).db), readSchema(must(fresh).db)]);
    for (const name of Object.keys(SCHEMA_QUERIES)) {
      expect({ name, rows: populated[name] }).toEqual({ name, rows: empty[name] });
    }
    expect((populated.migrations as unknown[]).length).toBeGreaterThan(LEGACY_MIGRATIONS);
  });

  // Last: it writes (one new run per tenant).
  it('admits or refuses a new run at T in the database exactly as decided before the migration', async () => {
    const { db } = must(migrated);
    const states = new Map<string, SubscriptionState>();
    for (const userId of userIds) {
      const state = await getSubscriptionState(db, personalAccountId(userId));
      if (state) states.set(userId, state);
    }
    const charged = [...states.keys()];
    // Every tenant with a subscription is found under the account id JS derives from its user.
    expect(charged).toEqual(userIds.filter((userId) => beforeOf(userId).subscription));
    const results = await reserveRuns(
      db,
      charged.map((userId) => {
        const entitlement = resolveEntitlement(must(states.get(userId)), T, GRACE);
        return {
          accountId: personalAccountId(userId),
          userId,
          countsMember: false,
          runId: 'run-after-migration',
          period: entitlement.period,
          limit: entitlement.limit,
          units: 1,
          isBlocked: entitlement.block !== null,
          fingerprint: 'fp:after',
          actor: { kind: 'user' as const, id: userId },
          now: T,
        };
      }),
    );
    const outcomes = charged.map((userId, i) => ({ userId, ...results[i] }));
    expect(outcomes).toEqual(
      charged.map((userId) => {
        const { decision, entitlement } = must(beforeOf(userId).decision);
        // Blocked means refused whatever the usage (entitlement.block); any other refusal is the
        // limit (USAGE_LIMIT_REACHED, or PAYMENT_PAST_DUE once a past-grace account's Free runs are gone).
        const outcome = decision.allowed ? 'reserved' : entitlement.block ? 'blocked' : 'limit_reached';
        return {
          userId,
          outcome,
          // An admitted run counts itself; a refused one leaves the counter as it was.
          used: decision.used,
          limit: decision.limit,
          // No credit grants existed before credits (0006).
          credits: 0,
          unitsFromAllowance: outcome === 'reserved' ? 1 : 0,
          unitsOverage: 0,
          overage: null,
          autoTopUpThreshold: null,
          state: outcome === 'reserved' ? 'reserved' : null,
          member: null,
        };
      }),
    );
  });
});
