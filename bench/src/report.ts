import { format, resolveConfig } from 'prettier';
import type { TwoServerExactness } from './exactness';
import type { LifecycleExactness } from './exactness-lifecycle';
import type { ServiceExactness } from './exactness-service';
import type { HttpFigures } from './http-authorize';
import type { MachineInfo } from './machine';
import { medianOf, ROUNDS } from './median';
import type { PgbenchFigures } from './pgbench';
import { ms, rate, roundsNote, rowLine, times } from './report-format';
import { peerDetail, type PeerResult } from './report-peer';
import { peerRounds } from './service-rounds';
import { SETTLED } from './settle';
import { exactnessLines } from './report-exactness';
import { figureRows } from './report-rows';
import { webhookDetail } from './report-webhooks';
import type { AuthorizeRun } from './service-authorize';
import type { ServiceRound } from './service-rounds';
import type { UsageTotals } from './tenants';
import type { WebSize } from './web-size';
import type { WebhookFigures } from './webhooks';

export interface BenchResults {
  machine: MachineInfo;
  pgbench: PgbenchFigures;
  /** ROUNDS rounds of the service-level figures (the report gives medians). */
  service: ServiceRound[];
  peer: PeerResult;
  serviceTotals: { tenants: UsageTotals; hot: UsageTotals };
  serviceExactness: ServiceExactness;
  lifecycle: LifecycleExactness;
  http: HttpFigures;
  httpTotals: UsageTotals;
  twoServers: TwoServerExactness;
  webhooks: WebhookFigures;
  web: WebSize;
  seconds: number;
}

/** The markdown report: machine, the figures table, the exactness checks, how each figure is measured. */
export async function renderReport(results: BenchResults, file: string): Promise<string> {
  const rows = figureRows(results);
  const checks = exactnessLines(results);
  const { machine } = results;
  const text = [
    '# Tollgate benchmark results',
    '',
    `Latest \`pnpm bench\` run (${new Date().toISOString()}, ${results.seconds.toFixed(0)} s in all).`,
    '',
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB RAM; Node ${machine.node}; ${machine.postgres} (default settings)`,
    `- Load average (1/5/15 min): ${machine.loadAverage} — the machine is shared, so read the ratios: each`,
    '  figure and its baseline were measured in the same run, through the same pool. Ratio figures',
    '  (service authorize, HTTP authorize, p99 at half capacity, the Redis Lua peer) are each the median',
    `  of ${ROUNDS} rounds in this run, a figure and its baseline back to back in every round; the ratio is the`,
    "  median of the rounds' ratios, so it can differ a little from measured ÷ baseline.",
    '',
    '| Figure | Measured | Baseline (same run) | Ratio | Target | Met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(rowLine),
    '',
    '## Exactness while loaded',
    '',
    ...checks.map((line) => `- ${line}`),
    '',
    '## Details',
    '',
    ...detailLines(results).map((line) => `- ${line}`),
    '',
  ].join('\n');
  // Formatted with the repository's prettier settings, so `prettier --check .` accepts the saved file.
  return format(text, { ...(await resolveConfig(file)), parser: 'markdown' });
}

function detailLines(r: BenchResults): string[] {
  const { service: rounds, http, webhooks, web } = r;
  const batch = (runs: AuthorizeRun[]) => {
    const known = runs.flatMap((run) => (run.meanBatch === null ? [] : [run.meanBatch]));
    return known.length === 0 ? '' : `, mean ${medianOf(known, (x) => x).toFixed(0)} runs per commit`;
  };
  const pair = (label: string, batched: AuthorizeRun[], single: AuthorizeRun[]) =>
    `${label}: ${rate(medianOf(batched, (x) => x.perSecond))}${batch(batched)} vs ${rate(medianOf(single, (x) => x.perSecond))} (ratio per round ${roundsNote(
      batched.map((b, i) => b.perSecond / (single[i]?.perSecond ?? Number.NaN)),
      times,
    )})`;
  const medianRun = (
    pick: (x: (typeof http.rounds)[number]) => { perSecond: number; latencyMs: { p99: number } },
  ) =>
    `${rate(
      medianOf(http.rounds, (x) => pick(x).perSecond),
      ' req/s',
    )} (p99 ${ms(medianOf(http.rounds, (x) => pick(x).latencyMs.p99))})`;
  return [
    `Database: ${SETTLED}; PostgreSQL's own settings otherwise.`,
    `Service level: \`services.usage.authorize\` of two servers started with \`startServer\` on one pool of 10 connections — \`AUTHORIZE_BATCH_WINDOW_MS=2\`, \`AUTHORIZE_BATCH_MAX=256\` vs \`AUTHORIZE_BATCH_WINDOW_MS=0\` — ${CONCURRENCY_NOTE}; every call a new run id; ${rounds.length} rounds, medians. ${pair(
      '1,000 tenants',
      rounds.map((x) => x.tenantsBatched),
      rounds.map((x) => x.tenantsSingle),
    )}; ${pair(
      'hot tenant',
      rounds.map((x) => x.hotBatched),
      rounds.map((x) => x.hotSingle),
    )}; ${pair(
      'multi-bucket',
      rounds.map((x) => x.packsBatched),
      rounds.map((x) => x.packsSingle),
    )}.`,
    peerDetail(peerRounds(rounds), r.peer),
    `pgbench-equivalents: the issue's statements through drizzle/node-postgres with 8 concurrent clients, 3 s each (once).`,
    `HTTP: autocannon in a child process, 50 connections, 4 s per figure, 1,000 tenants with their own JWTs, every authorize a new run id; the authorize/bare pairs (each round: the bare JSON route, then each transport's \`auth.me\` and authorize) and the paced runs at ${http.sustainableRate} req/s (half the slower bare authenticated route's throughput, at most 1,000 req/s), then the bare JSON route and each authorize at ${http.halfBareRate} req/s (half the bare JSON route's median throughput in the rounds, uncapped), in ${http.rounds.length} rounds (medians), the rest once. Bare JSON ${rate(http.bareJson.perSecond, ' req/s')} (calibration), ${medianRun((x) => x.bareJson)} in the rounds; tRPC: \`auth.me\` ${medianRun((x) => x.trpcMe)}, authorize ${medianRun((x) => x.trpcAuthorize)} (ratio per round ${roundsNote(
      http.rounds.map((x) => x.trpcAuthorize.perSecond / x.trpcMe.perSecond),
      (v) => `${Math.round(v * 100)}%`,
    )}); REST: \`auth/me\` ${medianRun((x) => x.restMe)}, authorize ${medianRun((x) => x.restAuthorize)} (ratio per round ${roundsNote(
      http.rounds.map((x) => x.restAuthorize.perSecond / x.restMe.perSecond),
      (v) => `${Math.round(v * 100)}%`,
    )}); p99 at ${http.sustainableRate} req/s per round: tRPC ${roundsNote(
      http.paced.map((x) => x.trpcAtSustainable.latencyMs.p99),
      ms,
    )}, REST ${roundsNote(
      http.paced.map((x) => x.restAtSustainable.latencyMs.p99),
      ms,
    )}; p99 at ${http.halfBareRate} req/s per round: bare JSON ${roundsNote(
      http.paced.map((x) => x.bareJsonAtHalfBare.latencyMs.p99),
      ms,
    )}, tRPC ${roundsNote(
      http.paced.map((x) => x.trpcAtHalfBare.latencyMs.p99),
      ms,
    )}, REST ${roundsNote(
      http.paced.map((x) => x.restAtHalfBare.latencyMs.p99),
      ms,
    )}; metered run ${rate(http.restRun.perSecond, ' req/s')} (p99 ${ms(http.restRun.latencyMs.p99)}) — the metered route also checks the session, writes the run record and calls the agent runner (the local one), each a statement of its own.`,
    webhookDetail(webhooks),
    `Web: \`pnpm --filter @tollgate/web build\`${web.isFreshBuild ? '' : ' FAILED (figure from the previous dist)'}; the billing screen loads ${web.billingChunks.join(', ')}; the console adds ${web.consoleChunks.join(', ')}.`,
  ];
}

const CONCURRENCY_NOTE = '512 calls in flight, 4 s each after a 0.3 s warm-up';
