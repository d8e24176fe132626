import { createDb, isDatabaseUnavailable, queryRows, type DbHandle } from '@tollgate/db';
import { createScratchDatabase, testPostgresServerUrl, type ScratchDatabase } from '@tollgate/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiConfig, ApiDeps } from '../config';
import { silentLogger } from '../logger';
import type { AgentRunner } from '../runner/agent-runner';
import { createLocalRunner } from '../runner/local-runner';
import { createServices } from './index';
import { startTcpProxy as startProxy } from './testing/tcp-proxy';
import { personalTenant } from '../tenant';

const NOW = new Date('2025-03-10T12:00:00Z');
const SERVICE = { kind: 'service', id: 'key-1' } as const;

const config: ApiConfig = {
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
  runBatching: { windowMs: 2, maxSize: 256 },
};

function servicesOn(db: DbHandle['db'], runner: AgentRunner = createLocalRunner()) {
  const deps: ApiDeps = { db, config, now: () => NOW, runner, logger: silentLogger, billing: null };
  return createServices(deps);
}

const usageService = (db: DbHandle['db']) => servicesOn(db).usage;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('run authorization while the database is unreachable', () => {
  it('fails every caller of the group with an unavailable error: nobody allowed, no single-run retries', async () => {
    const proxy = await startProxy(null);
    cleanups.push(proxy.close);
    const handle = await createDb({
      databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/x`,
      migrate: false,
    });
    cleanups.push(handle.close);
    const usage = usageService(handle.db);

    const calls = Array.from({ length: 40 }, (_, i) =>
      usage.authorize(SERVICE, personalTenant(`user-${i % 8}`), `run-${i}`),
    );
    const settled = await Promise.allSettled(calls);

    expect(settled.filter((result) => result.status === 'fulfilled')).toEqual([]);
    const reasons = settled.map((result) => (result.status === 'rejected' ? result.reason : null));
    expect(reasons.every(isDatabaseUnavailable)).toBe(true);
    const stats = usage.batchStats();
    expect(stats?.failedBatches).toBe(stats?.batches);
    // One connection attempt per group: the group's callers were not each retried against a dead database.
    expect(proxy.connections()).toBe(stats?.batches);
    expect(proxy.connections()).toBeLessThan(40);
  });
});

const serverUrl = testPostgresServerUrl();
if (serverUrl) {
  describe('run authorization when the answer of a committed reservation is lost (PostgreSQL)', () => {
    let scratch: ScratchDatabase;
    beforeAll(async () => {
      scratch = await createScratchDatabase(serverUrl);
      // Migrated once, directly.
      await (await createDb({ databaseUrl: scratch.url })).close();
    });
    afterAll(async () => {
      await scratch?.drop();
    });

    it('the caller gets an unavailable error, and its retry with the same run id is a replay charged once', async () => {
      const target = new URL(scratch.url);
      const proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
      cleanups.push(proxy.close);
      const viaProxy = new URL(scratch.url);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const handle = await createDb({ databaseUrl: viaProxy.toString(), migrate: false });
      cleanups.push(handle.close);
      const usage = usageService(handle.db);
      // The account and its period exist: the reservation is one statement.
      await usage.authorize(SERVICE, personalTenant('lost-answer'), 'warm-up');

      // The reservation statement's answer (its result columns name `prior_fingerprint`) never arrives.
      proxy.cutNextAnswer((chunk) => chunk.includes('prior_fingerprint'));
      const lost = await usage
        .authorize(SERVICE, personalTenant('lost-answer'), 'run-1')
        .catch((error: unknown) => error);
      expect(isDatabaseUnavailable(lost)).toBe(true);

      const retried = await usage.authorize(SERVICE, personalTenant('lost-answer'), 'run-1');
      expect(retried).toMatchObject({ runId: 'run-1', isReplay: true, state: 'reserved', used: 2 });
      const rows = await queryRows<{ used: number; ledger: number }>(
        handle.db,
        sql`select p.used, (select count(*)::int from usage_ledger l where l.period_id = p.id) as ledger
            from usage_periods p where p.account_id = personal_account_id('lost-answer')`,
      );
      expect(rows).toEqual([{ used: 2, ledger: 2 }]);
    });

    it("an agent run confirmed while the database connection is lost: the database's 503, not the agent's 502", async () => {
      const target = new URL(scratch.url);
      const proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
      cleanups.push(proxy.close);
      const viaProxy = new URL(scratch.url);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const handle = await createDb({ databaseUrl: viaProxy.toString(), migrate: false });
      // The agent did the work and answered; the connection then drops before the first answer of
      // the transaction that records it (as pg_terminate_backend does under load).
      const agent: AgentRunner = {
        name: 'agent-that-confirms',
        start: async () => {
          // The answer to the recording transaction's BEGIN: any answer would also match a query the
          // request started in the background (its usage alert check), which then lost its answer instead.
          proxy.cutNextAnswer((chunk) => chunk.includes('BEGIN'));
          return { reply: 'done' };
        },
      };
      const { sessions } = servicesOn(handle.db, agent);
      const session = await sessions.create(personalTenant('confirmed-run'), 'Lost answer');

      const failure = await sessions
        .run(personalTenant('confirmed-run'), { sessionId: session.id, runId: 'run-1', message: 'work' })
        .catch((error: unknown) => error);

      expect(isDatabaseUnavailable(failure)).toBe(true);
      // Charged once, started, and not flagged as an agent that may not have confirmed.
      const rows = await queryRows<{ state: string; review_reason: string | null }>(
        handle.db,
        sql`select state, review_reason from usage_ledger where account_id = personal_account_id('confirmed-run')`,
      );
      expect(rows).toEqual([{ state: 'started', review_reason: null }]);
      // The dead client went back to the pool (drizzle never releases one whose `begin` failed):
      // closing the pool finishes instead of waiting for it for ever.
      const closing = handle.close().then(() => 'closed');
      const timeout = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000).unref());
      expect(await Promise.race([closing, timeout])).toBe('closed');
    });
  });
}
