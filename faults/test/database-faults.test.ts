import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizeLoad, type Attempt, type AuthorizeTarget } from '../src/authorize-load';
import {
  faultFigures,
  firstSuccessAfter,
  ledgerFigures,
  printFigures,
  replayUnanswered,
  type FaultFigures,
} from '../src/exactness';
import { prepareDatabase } from '../src/fixtures';
import { createPostgresCluster, type PostgresCluster } from '../src/postgres-cluster';
import { monitorReadiness, type ReadinessMonitor } from '../src/readiness-monitor';
import { FAULTS_JWT_SECRET, startServerProcess, type ServerProcess } from '../src/server-process';
import { startSessionRunLoad } from '../src/session-run-load';

/** 100 services authorizing at once, as in the report, beside 10 users running agent tasks. */
const CONCURRENCY = 100;
const SESSION_CONCURRENCY = 20;
/** The FREE plan allows 10 runs a month: 12 per user gives every user refusals too. */
const RUNS_PER_USER = 12;
/** Recovery must come within this bound (the measured figures are printed). */
const RECOVERY_BOUND_MS = 10_000;
/** A short pool acquisition timeout: a request waiting for a connection that won't come answers 503 soon. */
const SERVER_ENV = { DATABASE_POOL_TIMEOUT_MS: '3000' };

let cluster: PostgresCluster;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  cluster = await createPostgresCluster();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.kill('SIGKILL')));
});
afterAll(async () => {
  await cluster?.destroy();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Scenario {
  database: string;
  server: ServerProcess;
  target: AuthorizeTarget;
  now(): number;
  /** Points the clients at another server process (after a restart). */
  moveTo(next: ServerProcess): void;
  /** Waits until an authorization that started at or after `since` succeeded (at most twice the bound). */
  waitForSuccessAfter(since: number): Promise<void>;
  /** Stops the load, retries every unanswered run, and returns the figures. */
  finish(): Promise<{
    attempts: Attempt[];
    sessionRuns: Attempt[];
    figures: FaultFigures;
    readiness: ReadinessMonitor['samples'];
    total: { ledgerRows: number; counters: number };
  }>;
}

/** A database on the suite's cluster, a server process over it, and the load already running. */
async function startScenario(database: string): Promise<Scenario> {
  const databaseUrl = await cluster.createDatabase(database);
  const { apiKey } = await prepareDatabase(databaseUrl);
  const server = await startServerProcess(databaseUrl, SERVER_ENV);
  servers.push(server);
  let current = server;
  const target: AuthorizeTarget = { apiKey, baseUrl: () => current.url };
  const load = startAuthorizeLoad(target, {
    concurrency: CONCURRENCY,
    prefix: `${database}-a`,
    runsPerUser: RUNS_PER_USER,
  });
  const sessions = startSessionRunLoad(
    target.baseUrl,
    FAULTS_JWT_SECRET,
    { concurrency: SESSION_CONCURRENCY, prefix: `${database}-s`, runsPerUser: RUNS_PER_USER },
    load.now,
  );
  const readiness = monitorReadiness(target.baseUrl, load.now);
  return {
    database,
    server,
    target,
    now: load.now,
    moveTo(next) {
      current = next;
    },
    async waitForSuccessAfter(since) {
      const deadline = load.now() + RECOVERY_BOUND_MS * 2;
      while (firstSuccessAfter(load.attempts, since) === null && load.now() < deadline) {
        if (current.exit()) break;
        await sleep(50);
      }
    },
    async finish() {
      const [attempts, sessionRuns] = await Promise.all([load.stop(), sessions.stop(), readiness.stop()]);
      // A dead server answers nothing: say why instead of retrying every run against it.
      const exit = current.exit();
      if (exit)
        throw new Error(
          `the server process exited (${JSON.stringify(exit)}):\n${current.output().slice(-3000)}`,
        );
      const replays = await replayUnanswered(target, attempts);
      const figures = faultFigures(
        attempts,
        replays,
        await ledgerFigures(cluster, database, `${database}-a-`),
      );
      const total = await ledgerFigures(cluster, database);
      return { attempts, sessionRuns, figures, readiness: readiness.samples, total };
    },
  };
}

/** The equalities that must hold after any fault, once every unanswered run was retried. */
function expectExact(
  { figures, sessionRuns, total }: Awaited<ReturnType<Scenario['finish']>>,
  { isServerKilled = false } = {},
): void {
  expect(figures.unexpected).toEqual({});
  expect(figures.fiveHundredsWithoutRetryAfter).toBe(0);
  // Each run id is sent once during the load: a replay answer there would be a run counted by a
  // failed attempt and then answered by a second one inside the same request.
  expect(figures.allowedAsReplay).toBe(0);
  expect(figures.replayUnexpected).toEqual({});
  expect(figures.ledger.periodsOverLimit).toBe(0);
  expect(figures.ledger.counters).toBe(figures.ledger.ledgerRows);
  // Every unit counted was answered "allowed" exactly once: during the load, or on the retry of a run
  // whose answer was lost (isReplay true: charged once, not twice).
  expect(figures.ledger.ledgerRows).toBe(
    figures.allowed + figures.replayFoundReserved + figures.replayNewlyAllowed,
  );
  // The agent-task route: only its documented answers, every 5xx with Retry-After; counters exact.
  // No answer only from a killed server.
  const expected = ['201', '402', '503', ...(isServerKilled ? ['null'] : [])];
  expect(Object.keys(countStatuses(sessionRuns)).filter((status) => !expected.includes(status))).toEqual([]);
  expect(sessionRuns.filter((run) => (run.status ?? 0) >= 500 && !run.retryAfter)).toEqual([]);
  expect(total.counters).toBe(total.ledgerRows);
}

function expectAlive(server: ServerProcess): void {
  expect(server.exit(), server.output()).toBeUndefined();
  expect(server.output()).not.toMatch(/Unhandled 'error' event|uncaughtException|unhandledRejection/);
}

describe('PostgreSQL faults under 100 concurrent authorizations', () => {
  it("survives pg_terminate_backend on all of the server's connections, and stays exact", async () => {
    const scenario = await startScenario('terminate');
    await sleep(1500);
    let terminated = 0;
    for (let round = 0; round < 5; round += 1) {
      const rows = await cluster.query(
        'postgres',
        `select pg_terminate_backend(pid) from pg_stat_activity
         where datname = 'terminate' and pid <> pg_backend_pid()`,
      );
      terminated += rows.length;
      await sleep(400);
    }
    const lastKillAt = scenario.now();
    await scenario.waitForSuccessAfter(lastKillAt);
    await sleep(1000);
    const result = await scenario.finish();
    expectAlive(scenario.server);

    const recoveryMs = firstSuccessAfter(result.attempts, lastKillAt);
    printFigures('pg_terminate_backend on every connection, 5 times 400 ms apart', result.figures, {
      'connections terminated': terminated,
      'recovery (last termination → first 200 authorize)': `${recoveryMs?.toFixed(0)} ms`,
      'agent-task runs (sessions.run)': JSON.stringify(countStatuses(result.sessionRuns)),
    });
    expectExact(result);
    expect(result.figures.noAnswer).toBe(0);
    expect(terminated).toBeGreaterThan(0);
    expect(recoveryMs ?? Infinity).toBeLessThan(RECOVERY_BOUND_MS);
    expect(result.readiness.at(-1)?.status).toBe(200);
  });

  it('survives a PostgreSQL restart: 503 + Retry-After and readiness down meanwhile, back by itself', async () => {
    const scenario = await startScenario('restart');
    await sleep(2500);
    const stopAt = scenario.now();
    await cluster.stop('fast');
    const downAt = scenario.now();
    await sleep(3000);
    const startAt = scenario.now();
    await cluster.start();
    const backAt = scenario.now();
    await scenario.waitForSuccessAfter(backAt);
    await sleep(1000);
    const result = await scenario.finish();
    expectAlive(scenario.server);

    const recoveryMs = firstSuccessAfter(result.attempts, backAt);
    const readyAgain = result.readiness.find((sample) => sample.at >= backAt && sample.status === 200);
    // Probes sent after the stop completed and answered before the start began: all must say "down".
    // (Not "before the start returned": PostgreSQL accepts connections a moment before pg_ctl's wait
    // loop notices, and a probe waiting for a connection may get its 200 in that moment.)
    const whileDown = result.readiness.filter((sample) => sample.at >= downAt && sample.endedAt < startAt);
    printFigures('PostgreSQL stopped (fast shutdown), down 3 s, started again', result.figures, {
      'stop took': `${(downAt - stopAt).toFixed(0)} ms`,
      'outage (stopped → accepting connections again)': `${(backAt - downAt).toFixed(0)} ms`,
      'recovery (PostgreSQL back → first 200 authorize)': `${recoveryMs?.toFixed(0)} ms`,
      'readiness while down': JSON.stringify(countStatuses(whileDown)),
      'readiness back (PostgreSQL back → first ready 200)': readyAgain
        ? `${(readyAgain.at - backAt).toFixed(0)} ms`
        : 'never',
      'agent-task runs (sessions.run)': JSON.stringify(countStatuses(result.sessionRuns)),
    });
    expectExact(result);
    expect(result.figures.noAnswer).toBe(0);
    expect(result.figures.unavailable503).toBeGreaterThan(0);
    expect(recoveryMs ?? Infinity).toBeLessThan(RECOVERY_BOUND_MS);
    expect(whileDown.length).toBeGreaterThan(0);
    expect(countStatuses(whileDown)).toEqual({ 503: whileDown.length });
    expect(readyAgain).toBeDefined();
  });

  it('SIGKILL of the server mid-load, restarted on the same database: lost answers are replays', async () => {
    const scenario = await startScenario('sigkill');
    await sleep(2000);
    await scenario.server.kill('SIGKILL');
    const killedAt = scenario.now();
    const restarted = await startServerProcess(cluster.url('sigkill'), SERVER_ENV);
    servers.push(restarted);
    scenario.moveTo(restarted);
    const listeningAt = scenario.now();
    await scenario.waitForSuccessAfter(listeningAt);
    await sleep(1000);
    const result = await scenario.finish();

    const recoveryMs = firstSuccessAfter(result.attempts, killedAt);
    printFigures('server SIGKILLed mid-load, restarted on the same database', result.figures, {
      'killed → new process listening': `${(listeningAt - killedAt).toFixed(0)} ms`,
      'killed → first 200 authorize': `${recoveryMs?.toFixed(0)} ms`,
      'agent-task runs (sessions.run)': JSON.stringify(countStatuses(result.sessionRuns)),
    });
    expectExact(result, { isServerKilled: true });
    expectAlive(restarted);
    expect(scenario.server.exit()?.signal).toBe('SIGKILL');
    expect(recoveryMs).not.toBeNull();
  });
});

function countStatuses(samples: readonly { status: number | null }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of samples) counts[String(status)] = (counts[String(status)] ?? 0) + 1;
  return counts;
}
