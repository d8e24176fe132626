import { authorizeRuns, successes } from './http-authorize';
import type { LifecycleExactness } from './exactness-lifecycle';
import type { BenchResults } from './report';
import { ok } from './report-format';
import { peerExactnessLines } from './report-peer';
import { webhookExactnessLine } from './report-webhooks';
import type { UsageTotals } from './tenants';

/** One line per exactness check, PASS or FAIL first. */
export function exactnessLines(r: BenchResults): string[] {
  const { serviceTotals, service, serviceExactness: se, httpTotals, twoServers: two, webhooks, http } = r;
  const httpRuns = authorizeRuns(http);
  const httpOk = httpRuns.reduce((sum, result) => sum + successes(result), 0);
  // Every round's run ids are its own, so the counters hold the consumed answers of all rounds.
  const consumedAnswers = service.reduce(
    (sum, x) => sum + x.tenantsSingle.consumed + x.tenantsBatched.consumed,
    0,
  );
  const hotAnswers = service.reduce((sum, x) => sum + x.hotSingle.consumed + x.hotBatched.consumed, 0);
  const totalsOk = (t: UsageTotals, answers: number) =>
    t.used === answers && t.ledger === answers && t.mismatched === 0 && t.overLimit === 0;
  return [
    `${ok(totalsOk(serviceTotals.tenants, consumedAnswers))} throughput runs, 1,000 tenants: ${consumedAnswers.toLocaleString('en-US')} runs answered as consumed = ${serviceTotals.tenants.ledger.toLocaleString('en-US')} ledger rows = ${serviceTotals.tenants.used.toLocaleString('en-US')} counted (${serviceTotals.tenants.mismatched} periods where counter ≠ ledger).`,
    `${ok(totalsOk(serviceTotals.hot, hotAnswers))} throughput runs, hot tenant: ${hotAnswers.toLocaleString('en-US')} consumed answers = ${serviceTotals.hot.ledger.toLocaleString('en-US')} ledger rows = ${serviceTotals.hot.used.toLocaleString('en-US')} counted.`,
    `${ok(se.isExact)} limits hit under load (${se.tenants} tenants × limit ${se.limit}, ${se.calls.toLocaleString('en-US')} calls at 512 in flight, each run id twice): ${se.consumed} consumed, ${se.replays} replays, ${se.denied} denied (402), ${se.otherErrors} other errors; ledger ${se.totals.ledger} = counters ${se.totals.used}; periods over the limit: ${se.totals.overLimit}; sending every run id again consumed ${se.consumedOnReplayPass} (counters after: ${se.totalsAfterReplayPass.used}).`,
    `${ok(httpTotals.mismatched === 0 && httpTotals.overLimit === 0 && httpTotals.ledger >= httpOk && httpTotals.ledger - httpOk <= httpRuns.length * 50)} HTTP runs: ledger ${httpTotals.ledger.toLocaleString('en-US')} = counters ${httpTotals.used.toLocaleString('en-US')}, ${httpTotals.mismatched} periods mismatched; ${httpOk.toLocaleString('en-US')} 2xx answers counted by the load generator (a timed run stops counting with requests still in flight, which the server completes and charges: ${(httpTotals.ledger - httpOk).toLocaleString('en-US')} here, at most ${httpRuns.length} runs × 50 connections).`,
    `${ok(two.isExact)} two server processes (two pools, two batchers) on one database, every run id sent to both: ${two.tenants} tenants × ${two.runIdsPerTenant} run ids, limit ${two.limit}: counters ${two.totals.used} (expected ${two.tenants * two.limit}), ledger ${two.totals.ledger}, over limit ${two.totals.overLimit}; 200 answers ${two.ok} (expected ${two.expectedOk}: each admitted run once consumed, once a replay), 402 answers ${two.denied} (expected ${two.expectedDenied}).`,
    ...peerExactnessLines(r.peer),
    ...lifecycleLines(r.lifecycle, ok),
    webhookExactnessLine(webhooks, ok),
  ];
}

function lifecycleLines(l: LifecycleExactness, ok: (isOk: boolean) => string): string[] {
  const { replayAfterDelete: rad, concurrentSessions: cs, downgrade: dg, sweep } = l;
  return [
    `${ok(rad.isExact)} replay after delete: ${rad.tenants} FREE accounts × ${rad.attempts} attempts (a paid run id replayed in fresh sessions, then new runs): at most ${rad.maxStartsPerTenant} agent runs started per account (limit 10; over it: ${rad.startsOverLimit}); ledger ${rad.totals.ledger} = counters ${rad.totals.used}.`,
    `${ok(cs.isExact)} concurrent sessions.run: ${cs.tenants} accounts × 200 calls (50 run ids × 4, same message): ${cs.starts} agent runs started for ${cs.runIds} run ids; the rest ${cs.inProgress} × 409 RUN_IN_PROGRESS and ${cs.storedOutcomes} stored outcomes, ${cs.otherErrors} other errors; ledger ${cs.totals.ledger} = counters ${cs.totals.used}.`,
    `${ok(dg.isExact)} downgrade mid-load: ${dg.tenants} accounts from 1,000 to 25 runs while ${dg.calls.toLocaleString('en-US')} reservations ran at 512 in flight (${dg.midway} accounts were mid-way when it landed): periods above max(new limit, usage when it took hold): ${dg.overNewLimit}; ledger ${dg.totals.ledger} = counters ${dg.totals.used}.`,
    `${ok(sweep.isExact)} sweeper: ${sweep.reserved} runs reserved and never started, four sweeps on two pools at once released ${sweep.released} (${sweep.distinct} distinct), the servers' own sweeper the other ${sweep.reserved - sweep.released - sweep.totals.ledger}; runs still charged after: ${sweep.totals.ledger}, counters after: ${sweep.totals.used}.`,
  ];
}
