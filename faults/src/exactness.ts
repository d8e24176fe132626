import { authorizeOnce, type Attempt, type AuthorizeTarget } from './authorize-load';
import type { PostgresCluster } from './postgres-cluster';

/** A run whose answer was a 5xx or never came: the client retries it with the same run id. */
function isUnanswered(attempt: Attempt): boolean {
  return attempt.status === null || attempt.status >= 500;
}

/**
 * Retries every unanswered run of the load (same user, same run id) until it gets a final answer, as
 * a client following Retry-After would. Returns each run's final attempt.
 */
export async function replayUnanswered(
  target: AuthorizeTarget,
  attempts: readonly Attempt[],
  concurrency = 20,
): Promise<Attempt[]> {
  const queue = attempts.filter(isUnanswered);
  const finals: Attempt[] = [];
  async function worker(): Promise<void> {
    for (let attempt = queue.shift(); attempt; attempt = queue.shift()) {
      let answer = await authorizeOnce(target, attempt.userId, attempt.runId);
      for (let tries = 1; isUnanswered(answer) && tries < 40; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        answer = await authorizeOnce(target, attempt.userId, attempt.runId);
      }
      finals.push(answer);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return finals;
}

export interface LedgerFigures {
  /** Ledger rows that hold a unit (every state but released). */
  ledgerRows: number;
  /** Sum of the usage counters. */
  counters: number;
  /** Periods whose counter is above their limit. */
  periodsOverLimit: number;
}

/** Ledger and counters of the users whose id starts with `userPrefix` (all users without one). */
export async function ledgerFigures(
  cluster: PostgresCluster,
  database: string,
  userPrefix = '',
): Promise<LedgerFigures> {
  const pattern = `${userPrefix.replace(/[\\%_]/g, '\\$&')}%`;
  const [ledger] = await cluster.query<{ rows: string }>(
    database,
    `select count(*) as rows from usage_ledger where state <> 'released' and user_id like $1`,
    [pattern],
  );
  const [periods] = await cluster.query<{ used: string | null; over: string }>(
    database,
    `select sum(used) as used, count(*) filter (where used > run_limit) as over
     from usage_periods p join accounts a on a.id = p.account_id
     where a.personal_user_id like $1`,
    [pattern],
  );
  return {
    ledgerRows: Number(ledger?.rows ?? 0),
    counters: Number(periods?.used ?? 0),
    periodsOverLimit: Number(periods?.over ?? 0),
  };
}

export interface FaultFigures {
  attempts: number;
  /** 200 with isReplay false during the load: a new run allowed and counted. */
  allowed: number;
  /** 200 with isReplay true during the load (each run id is sent once there: should be 0). */
  allowedAsReplay: number;
  refused402: number;
  unavailable503: number;
  noAnswer: number;
  /** Statuses other than 200, 402, 503 (and no answer) during the load. */
  unexpected: Record<string, number>;
  /** 5xx answers without a Retry-After header. */
  fiveHundredsWithoutRetryAfter: number;
  replayed: number;
  /** Replays answered 200 isReplay true: reserved by the load, answer lost. */
  replayFoundReserved: number;
  /** Replays answered 200 isReplay false: not reserved by the load, counted now. */
  replayNewlyAllowed: number;
  replayRefused402: number;
  replayUnexpected: Record<string, number>;
  ledger: LedgerFigures;
}

function countBy(attempts: readonly Attempt[], key: (attempt: Attempt) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const attempt of attempts) counts[key(attempt)] = (counts[key(attempt)] ?? 0) + 1;
  return counts;
}

export function faultFigures(
  attempts: readonly Attempt[],
  replays: readonly Attempt[],
  ledger: LedgerFigures,
): FaultFigures {
  const is = (status: number) => (attempt: Attempt) => attempt.status === status;
  const unexpected = countBy(
    attempts.filter((a) => a.status !== null && ![200, 402, 503].includes(a.status)),
    (a) => `${a.status} ${a.code ?? ''}`.trim(),
  );
  const replayUnexpected = countBy(
    replays.filter((a) => a.status === null || ![200, 402, 409].includes(a.status)),
    (a) => `${a.status ?? a.error} ${a.code ?? ''}`.trim(),
  );
  return {
    attempts: attempts.length,
    allowed: attempts.filter((a) => a.status === 200 && a.isReplay === false).length,
    allowedAsReplay: attempts.filter((a) => a.status === 200 && a.isReplay !== false).length,
    refused402: attempts.filter(is(402)).length,
    unavailable503: attempts.filter(is(503)).length,
    noAnswer: attempts.filter((a) => a.status === null).length,
    unexpected,
    fiveHundredsWithoutRetryAfter: [...attempts, ...replays].filter(
      (a) => a.status !== null && a.status >= 500 && !a.retryAfter,
    ).length,
    replayed: replays.length,
    replayFoundReserved: replays.filter((a) => a.status === 200 && a.isReplay === true).length,
    replayNewlyAllowed: replays.filter((a) => a.status === 200 && a.isReplay === false).length,
    replayRefused402: replays.filter(is(402)).length,
    replayUnexpected,
    ledger,
  };
}

/** Ms from `since` to the end of the first 200 among the attempts that started at or after it. */
export function firstSuccessAfter(attempts: readonly Attempt[], since: number): number | null {
  const ends = attempts.filter((a) => a.status === 200 && a.startedAt >= since).map((a) => a.endedAt);
  return ends.length > 0 ? Math.min(...ends) - since : null;
}

export function printFigures(title: string, figures: FaultFigures, extra: Record<string, unknown>): void {
  const lines = [
    `── fault suite: ${title}`,
    ...Object.entries(extra).map(([name, value]) => `   ${name}: ${String(value)}`),
    `   load: ${figures.attempts} authorizations → ${figures.allowed} allowed (200), ` +
      `${figures.refused402} refused (402), ${figures.unavailable503} unavailable (503 + Retry-After), ` +
      `${figures.noAnswer} without an answer; other statuses: ${JSON.stringify(figures.unexpected)}`,
    `   replays of unanswered runs: ${figures.replayed} → ${figures.replayFoundReserved} already reserved ` +
      `(isReplay), ${figures.replayNewlyAllowed} allowed now, ${figures.replayRefused402} refused (402); ` +
      `other: ${JSON.stringify(figures.replayUnexpected)}`,
    `   ledger rows ${figures.ledger.ledgerRows} = counters ${figures.ledger.counters} = allowed ` +
      `${figures.allowed + figures.allowedAsReplay} + replays allowed ` +
      `${figures.replayFoundReserved + figures.replayNewlyAllowed}; periods over their limit: ` +
      `${figures.ledger.periodsOverLimit}`,
  ];
  console.log(lines.join('\n'));
}
