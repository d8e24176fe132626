import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer } from '../src/bundle-server';
import { send, type Reply, type SendOptions } from '../src/http/send';
import { countByUpstream, readAccessLog } from '../src/nginx/access-log';
import { startLocalEdge, type LocalEdge } from '../src/nginx/local-edge';
import { createScratchDatabase, type ScratchDatabase } from '../src/postgres/scratch-database';
import { countLogLines } from '../src/replicas/log-lines';
import { startReplicas, type Replica } from '../src/replicas/start-replicas';
import { REPO_ROOT } from '../src/repo-root';

// docker-compose.prod.yml's shape on one machine: two bundled server processes (what each replica
// container runs) on one PostgreSQL database, behind the real nginx with the shipped config and its
// upstream of both. Everything is asked through nginx, as clients and the agent backend would.
const AUTH_LIMIT = 6;
const FREE_RUNS = 10;
// The sweeper ticks every quarter of RUN_START_TIMEOUT_SECONDS: every 2 s, like seat sync below.
const PASS_INTERVAL_SECONDS = 2;
// LEADERSHIP_CHECK_SECONDS: how soon the follower asks for the lead once the leader is gone.
const LEADERSHIP_CHECK_MS = 2_000;
const LEADS = 'this process leads the periodic passes';
const PASSES = ['run sweep pass', 'seat sync pass'] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two server replicas behind nginx, on one PostgreSQL database', () => {
  const work = mkdtempSync(join(tmpdir(), 'tollgate-replicas-'));
  let database: ScratchDatabase | null = null;
  let replicas: Replica[] = [];
  let edge: LocalEdge | null = null;

  const https = (options: Omit<SendOptions, 'scheme' | 'port' | 'host' | 'ca'>): Promise<Reply> => {
    if (!edge) throw new Error('nginx is not running');
    return send({ scheme: 'https', port: edge.httpsPort, host: edge.domain, ca: edge.ca, ...options });
  };
  const post = (path: string, body: unknown, token?: string, localAddress = '127.0.0.2') =>
    https({
      method: 'POST',
      path,
      localAddress,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
  /**
   * nginx's log of one route: which replica served each request. nginx writes a line once the answer
   * is sent, so the last one may land just after the client has it: wait (briefly) for `count`.
   */
  const served = async (method: string, path: string, count: number) => {
    const deadline = Date.now() + 2_000;
    for (;;) {
      const entries = readAccessLog(edge?.accessLog ?? '').filter(
        (entry) => entry.method === method && entry.path === path,
      );
      if (entries.length >= count || Date.now() > deadline) return entries;
      await sleep(50);
    }
  };

  beforeAll(async () => {
    const app = join(work, 'app');
    await bundleServer({ repoRoot: REPO_ROOT, outDir: app });
    database = await createScratchDatabase('tollgate_replicas');
    replicas = await startReplicas(
      app,
      {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        APP_URL: 'https://tollgate.test',
        JWT_SECRET: 'replicas-test-secret-of-at-least-32-chars',
        STRIPE_SECRET_KEY: 'sk_test_replicas',
        STRIPE_WEBHOOK_SECRET: 'whsec_replicas',
        STRIPE_PRICE_ID_BASIC: 'price_replicas_basic',
        STRIPE_PRICE_ID_PRO: 'price_replicas_pro',
        STRIPE_PRICE_ID_TEAM: 'price_replicas_team',
        EMAIL_DELIVERY: 'disabled',
        // As in docker-compose.prod.yml: nginx is the one trusted hop.
        TRUST_PROXY: '1',
        AUTH_RATE_LIMIT_PER_MINUTE: String(AUTH_LIMIT),
        LOG_REQUESTS: 'false',
        RUN_START_TIMEOUT_SECONDS: String(PASS_INTERVAL_SECONDS * 4),
        SEAT_SYNC_INTERVAL_SECONDS: String(PASS_INTERVAL_SECONDS),
        // Passes that would call Stripe (none is reachable here) stay off.
        METER_REPORT_INTERVAL_SECONDS: '0',
        RECONCILE_INTERVAL_SECONDS: '0',
        LEADERSHIP_CHECK_SECONDS: String(LEADERSHIP_CHECK_MS / 1000),
      },
      2,
    );
    edge = await startLocalEdge(
      REPO_ROOT,
      replicas.map((replica) => replica.address),
    );
  });
  afterAll(async () => {
    // Each step even if an earlier one failed: no process or database outlives the file.
    await Promise.allSettled([edge?.stop(), ...replicas.map((replica) => replica.stop())]);
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('admits exactly the FREE allowance of 30 concurrent authorizations, whichever replica answers', async () => {
    const registered = await post('/api/trpc/auth.register', {
      email: 'replicas@example.com',
      password: 'correct-horse-battery',
    });
    expect(registered.status).toBe(200);
    const { accessToken } = (registered.json() as { result: { data: { accessToken: string } } }).result.data;

    const runIds = Array.from({ length: 30 }, (_, index) => `replicas-run-${index}`);
    const answers = await Promise.all(
      runIds.map((runId) => post('/api/v1/usage/authorize', { runId }, accessToken)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(FREE_RUNS);
    expect(statuses.filter((status) => status === 402)).toHaveLength(30 - FREE_RUNS);

    // Both replicas admitted and refused: nginx spread the 30 over them.
    const authorizations = await served('POST', '/api/v1/usage/authorize', 30);
    expect(authorizations).toHaveLength(30);
    const perReplica = countByUpstream(authorizations);
    expect(Object.keys(perReplica).sort()).toEqual(replicas.map((replica) => replica.address).sort());
    for (const replica of replicas) expect(perReplica[replica.address]).toBeGreaterThan(0);

    // Started before the sweeper could release them (it would, RUN_START_TIMEOUT_SECONDS after).
    const admitted = runIds.filter((_, index) => statuses[index] === 200);
    const started = await Promise.all(
      admitted.map((runId) => post('/api/v1/usage/start', { runId }, accessToken)),
    );
    expect(started.map((reply) => reply.status)).toEqual(Array(FREE_RUNS).fill(200));

    const balance = await https({
      path: '/api/v1/usage/balance',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(balance.status).toBe(200);
    expect(balance.json()).toMatchObject({ allowance: { used: FREE_RUNS, remaining: 0 } });
  });

  it('counts the auth rate limit once for both replicas, not once per replica', async () => {
    // The limit counts per minute of the clock: start early in one, so all attempts fall in it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await sleep(60_000 - intoMinute + 500);

    const statuses: number[] = [];
    for (let attempt = 0; attempt < AUTH_LIMIT + 4; attempt += 1) {
      const login = await post(
        '/api/trpc/auth.login',
        { email: 'nobody@example.com', password: 'not-the-password' },
        undefined,
        '127.0.0.9',
      );
      statuses.push(login.status);
    }
    // The limit, then the server's 429 (nginx's own limit, 30 a minute with a burst of 20, is far off).
    expect(statuses).toEqual([...Array(AUTH_LIMIT).fill(401), ...Array(4).fill(429)]);

    // The attempts that counted were answered by both replicas: one budget, not one per replica.
    const logins = await served('POST', '/api/trpc/auth.login', AUTH_LIMIT + 4);
    expect(logins).toHaveLength(AUTH_LIMIT + 4);
    const counted = countByUpstream(logins.filter((entry) => entry.status === 401));
    for (const replica of replicas) expect(counted[replica.address]).toBeGreaterThan(0);
    const refused = countByUpstream(logins.filter((entry) => entry.status === 429));
    for (const replica of replicas) expect(refused[replica.address]).toBeGreaterThan(0);
  }, 90_000);

  it('runs each periodic pass in one replica, once per interval, and hands over when it stops', async () => {
    const leaders = replicas.filter((replica) => countLogLines(replica.output(), LEADS) === 1);
    expect(leaders).toHaveLength(1);
    expect(replicas.reduce((sum, replica) => sum + countLogLines(replica.output(), LEADS), 0)).toBe(1);
    const [leader] = leaders;
    const follower = replicas.find((replica) => replica !== leader);
    if (!leader || !follower) throw new Error('expected one leader and one follower');

    // Over 5 intervals: about 5 passes of each kind in the leader (both leading would make about 10),
    // none in the other.
    const windowIntervals = 5;
    const leaderFrom = leader.output().length;
    const followerFrom = follower.output().length;
    await sleep(windowIntervals * PASS_INTERVAL_SECONDS * 1000);
    for (const pass of PASSES) {
      const led = countLogLines(leader.output(), pass, leaderFrom);
      // The lower bound only says the leader runs them (a loaded machine delays a timer or a pass); the
      // upper bound is the claim: both replicas running them would make about twice as many.
      expect(led, pass).toBeGreaterThanOrEqual(windowIntervals - 2);
      expect(led, pass).toBeLessThanOrEqual(windowIntervals + 1);
      expect(countLogLines(follower.output(), pass, followerFrom), pass).toBe(0);
    }

    // The leader stops (a deploy, a crash): its session and advisory lock go, and the other replica
    // takes over at its next leadership check.
    const stoppedAt = Date.now();
    expect(await leader.stop()).toBe(0);
    while (
      countLogLines(follower.output(), LEADS) === 0 &&
      Date.now() - stoppedAt < LEADERSHIP_CHECK_MS + 5_000
    )
      await sleep(100);
    expect(countLogLines(follower.output(), LEADS)).toBe(1);
    // Within one check interval, plus slack for the log line on a busy machine.
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(LEADERSHIP_CHECK_MS + 3_000);

    // nginx moves requests off the stopped replica (refused at connect: safe to send elsewhere).
    for (let attempt = 0; attempt < 4; attempt += 1)
      expect((await https({ path: '/api/v1/health' })).status).toBe(200);

    const takenOverFrom = follower.output().length;
    await sleep(3 * PASS_INTERVAL_SECONDS * 1000);
    for (const pass of PASSES) {
      const led = countLogLines(follower.output(), pass, takenOverFrom);
      expect(led, pass).toBeGreaterThanOrEqual(1);
      expect(led, pass).toBeLessThanOrEqual(4);
    }
  }, 90_000);
});
