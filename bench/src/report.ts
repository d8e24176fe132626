import { format, resolveConfig } from 'prettier';
import type { LoopResult } from './closed-loop';
import type { TwoServerExactness } from './exactness';
import type { LifecycleExactness } from './exactness-lifecycle';
import type { ServiceExactness } from './exactness-service';
import { successes, type HttpFigures } from './http-authorize';
import type { LoadResult } from './load-spec';
import type { MachineInfo } from './machine';
import type { PgbenchFigures } from './pgbench';
import type { AuthorizeRun } from './service-authorize';
import type { UsageTotals } from './tenants';
import type { WebSize } from './web-size';
import type { WebhookFigures, WebhookRun } from './webhooks';

export interface BenchResults {
  machine: MachineInfo;
  pgbench: PgbenchFigures;
  service: {
    tenantsSingle: AuthorizeRun;
    tenantsBatched: AuthorizeRun;
    hotSingle: AuthorizeRun;
    hotBatched: AuthorizeRun;
    /** 1,000 tenants whose runs draw a 5-run allowance, then the sooner of two packs. */
    packsSingle: AuthorizeRun;
    packsBatched: AuthorizeRun;
  };
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

interface Row {
  figure: string;
  measured: string;
  baseline: string;
  ratio: string;
  target: string;
  /** true / false, or null for a baseline; a string when a row has two targets. */
  isMet: boolean | null | string;
}

const rate = (perSecond: number, unit = '/s') => `${Math.round(perSecond).toLocaleString('en-US')}${unit}`;
const times = (ratio: number) => `${ratio.toFixed(1)}×`;
const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const yesNo = (isMet: boolean) => (isMet ? 'yes' : '**no**');
const met = (isMet: boolean | null | string) =>
  typeof isMet === 'string' ? isMet : isMet === null ? '—' : yesNo(isMet);

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
    '  figure and its baseline were measured in the same run, through the same pool.',
    '',
    '| Figure | Measured | Baseline (same run) | Ratio | Target | Met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) => `| ${r.figure} | ${r.measured} | ${r.baseline} | ${r.ratio} | ${r.target} | ${met(r.isMet)} |`,
    ),
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

function figureRows(r: BenchResults): Row[] {
  const { service, pgbench, http, webhooks, web } = r;
  const tenantsRatio = service.tenantsBatched.perSecond / service.tenantsSingle.perSecond;
  const hotRatio = service.hotBatched.perSecond / service.hotSingle.perSecond;
  const trpcRatio = http.trpcAuthorize.perSecond / http.trpcMe.perSecond;
  const restRatio = http.restAuthorize.perSecond / http.restMe.perSecond;
  const meteredRatio = http.restRun.perSecond / http.restMe.perSecond;
  const ceiling = pgbench.ledgerInsertAndUpdate.perSecond;
  const webhookRow = (run: WebhookRun, label: string): Row => ({
    figure: `Webhook apply: ${label} (signed, half duplicates)`,
    measured: rate(run.load.perSecond, ' events/s'),
    baseline: `${rate(http.restMe.perSecond, ' req/s')} bare authenticated REST`,
    ratio: percent(run.load.perSecond / http.restMe.perSecond),
    target: '≥ 1,000 events/s',
    isMet: run.load.perSecond >= 1000,
  });
  return [
    {
      figure: 'Service authorize, 1,000 tenants: one statement per group',
      measured: rate(service.tenantsBatched.perSecond),
      baseline: `${rate(service.tenantsSingle.perSecond)} one tx per run`,
      ratio: times(tenantsRatio),
      target: '≥ 20× and ≥ 30,000/s',
      isMet: `20×: ${yesNo(tenantsRatio >= 20)}; 30,000/s: ${yesNo(service.tenantsBatched.perSecond >= 30_000)}`,
    },
    {
      figure: 'Service authorize, one hot tenant: one statement per group',
      measured: rate(service.hotBatched.perSecond),
      baseline: `${rate(service.hotSingle.perSecond)} one tx per run`,
      ratio: times(hotRatio),
      target: '≥ 20×',
      isMet: hotRatio >= 20,
    },
    {
      figure:
        'Service authorize, 1,000 tenants on allowance + two packs (multi-bucket): one statement per group',
      measured: rate(service.packsBatched.perSecond),
      baseline: `${rate(service.packsSingle.perSecond)} one tx per run`,
      ratio: times(service.packsBatched.perSecond / service.packsSingle.perSecond),
      target: 'printed beside the 1,000-tenant figure',
      isMet: '—',
    },
    {
      figure: 'Grouped authorize vs the one-commit-per-run ceiling (pgbench ledger INSERT + UPDATE tx)',
      measured: rate(service.tenantsBatched.perSecond),
      baseline: rate(ceiling),
      ratio: times(service.tenantsBatched.perSecond / ceiling),
      target: '> 1× (past the one-commit-per-run limit)',
      isMet: service.tenantsBatched.perSecond > ceiling,
    },
    pgbenchRow(
      'pgbench-equivalent: conditional UPDATE across 1,000 tenants',
      pgbench.updateAcrossTenants,
      8400,
    ),
    pgbenchRow(
      'pgbench-equivalent: ledger INSERT + conditional UPDATE in one tx',
      pgbench.ledgerInsertAndUpdate,
      4200,
    ),
    pgbenchRow('pgbench-equivalent: conditional UPDATE of one hot row', pgbench.hotRow, 2600),
    {
      figure: 'Bare Express JSON route `GET /api/v1/health/live` (50 connections; calibration)',
      measured: rate(http.bareJson.perSecond, ' req/s'),
      baseline: "9,600 req/s on the issue's machine",
      ratio: times(http.bareJson.perSecond / 9600),
      target: 'baseline only',
      isMet: null,
    },
    {
      figure: 'HTTP authorize, tRPC `POST /api/trpc/usage.authorize` (50 connections)',
      measured: rate(http.trpcAuthorize.perSecond, ' req/s'),
      baseline: `${rate(http.trpcMe.perSecond, ' req/s')} bare authenticated \`auth.me\``,
      ratio: percent(trpcRatio),
      target: '≥ 50% of bare',
      isMet: trpcRatio >= 0.5,
    },
    {
      figure: 'HTTP authorize, REST `POST /api/v1/usage/authorize` (50 connections)',
      measured: rate(http.restAuthorize.perSecond, ' req/s'),
      baseline: `${rate(http.restMe.perSecond, ' req/s')} bare authenticated \`GET /api/v1/auth/me\``,
      ratio: percent(restRatio),
      target: '≥ 50% of bare',
      isMet: restRatio >= 0.5,
    },
    {
      figure: 'Metered REST route `POST /api/v1/sessions/:id/runs` (authorize + run record + runner)',
      measured: rate(http.restRun.perSecond, ' req/s'),
      baseline: `${rate(http.restMe.perSecond, ' req/s')} bare authenticated REST`,
      ratio: percent(meteredRatio),
      target: 'information',
      isMet: null,
    },
    latencyRow('p99 at 1,000 req/s, tRPC authorize', http.trpcAt1000, '< 10 ms'),
    latencyRow('p99 at 1,000 req/s, REST authorize', http.restAt1000, '< 10 ms'),
    latencyRow(
      `p99 at ${http.sustainableRate} req/s (half the bare route's throughput here), tRPC authorize`,
      http.trpcAtSustainable,
      '< 10 ms (scaled to this machine)',
      http.trpcMeAtSustainable,
    ),
    latencyRow(
      `p99 at ${http.sustainableRate} req/s, REST authorize`,
      http.restAtSustainable,
      '< 10 ms (scaled to this machine)',
      http.restMeAtSustainable,
    ),
    webhookRow(webhooks.ignored, 'recorded-and-ignored type'),
    webhookRow(webhooks.subscription, '`customer.subscription.updated` (re-fetch under lock)'),
    {
      figure: 'Web app JS for the billing screens (gzip -9)',
      measured: kb(web.billingJsGzip),
      baseline: `${kb(web.allJsGzip)} all JS`,
      ratio: '—',
      target: '≤ 100 KB',
      isMet: web.isFreshBuild ? web.billingJsGzip <= 100 * 1024 : null,
    },
    {
      figure: 'Web app JS of the operator console, lazy and staff only: its routes + echarts (gzip -9)',
      measured: kb(web.consoleJsGzip),
      baseline: `${kb(web.billingJsGzip)} billing screens`,
      ratio: '—',
      target: 'information (never in the billing screens)',
      isMet: web.isFreshBuild ? !web.billingChunks.some((name) => web.consoleChunks.includes(name)) : null,
    },
  ];
}

function pgbenchRow(figure: string, result: LoopResult, reference: number): Row {
  return {
    figure: `${figure} (8 clients)`,
    measured: rate(result.perSecond),
    baseline: `${rate(reference)} pgbench on the issue's machine`,
    ratio: times(result.perSecond / reference),
    target: 'baseline only',
    isMet: null,
  };
}

function latencyRow(figure: string, result: LoadResult, target: string, bare?: LoadResult): Row {
  const isAllOk = result.errors === 0 && result.timeouts === 0;
  return {
    figure,
    measured: `${ms(result.latencyMs.p99)} (p50 ${ms(result.latencyMs.p50)}, ${rate(result.perSecond, ' req/s')} achieved)`,
    baseline: bare
      ? `${ms(bare.latencyMs.p99)} (p50 ${ms(bare.latencyMs.p50)}) bare authenticated at the same rate`
      : '—',
    ratio: bare ? times(result.latencyMs.p99 / bare.latencyMs.p99) : '—',
    target,
    isMet: isAllOk && result.latencyMs.p99 < 10,
  };
}

function exactnessLines(r: BenchResults): string[] {
  const { serviceTotals, service, serviceExactness: se, httpTotals, twoServers: two, webhooks, http } = r;
  const httpRuns = [
    http.trpcAuthorize,
    http.restAuthorize,
    http.restRun,
    http.trpcAt1000,
    http.restAt1000,
  ].concat([http.trpcAtSustainable, http.restAtSustainable]);
  const httpOk = httpRuns.reduce((sum, result) => sum + successes(result), 0);
  const consumedAnswers = service.tenantsSingle.consumed + service.tenantsBatched.consumed;
  const hotAnswers = service.hotSingle.consumed + service.hotBatched.consumed;
  const ok = (isOk: boolean) => (isOk ? '**PASS**' : '**FAIL**');
  const totalsOk = (t: UsageTotals, answers: number) =>
    t.used === answers && t.ledger === answers && t.mismatched === 0 && t.overLimit === 0;
  return [
    `${ok(totalsOk(serviceTotals.tenants, consumedAnswers))} throughput runs, 1,000 tenants: ${consumedAnswers.toLocaleString('en-US')} runs answered as consumed = ${serviceTotals.tenants.ledger.toLocaleString('en-US')} ledger rows = ${serviceTotals.tenants.used.toLocaleString('en-US')} counted (${serviceTotals.tenants.mismatched} periods where counter ≠ ledger).`,
    `${ok(totalsOk(serviceTotals.hot, hotAnswers))} throughput runs, hot tenant: ${hotAnswers.toLocaleString('en-US')} consumed answers = ${serviceTotals.hot.ledger.toLocaleString('en-US')} ledger rows = ${serviceTotals.hot.used.toLocaleString('en-US')} counted.`,
    `${ok(se.isExact)} limits hit under load (${se.tenants} tenants × limit ${se.limit}, ${se.calls.toLocaleString('en-US')} calls at 512 in flight, each run id twice): ${se.consumed} consumed, ${se.replays} replays, ${se.denied} denied (402), ${se.otherErrors} other errors; ledger ${se.totals.ledger} = counters ${se.totals.used}; periods over the limit: ${se.totals.overLimit}; sending every run id again consumed ${se.consumedOnReplayPass} (counters after: ${se.totalsAfterReplayPass.used}).`,
    `${ok(httpTotals.mismatched === 0 && httpTotals.overLimit === 0 && httpTotals.ledger >= httpOk && httpTotals.ledger - httpOk <= httpRuns.length * 50)} HTTP runs: ledger ${httpTotals.ledger.toLocaleString('en-US')} = counters ${httpTotals.used.toLocaleString('en-US')}, ${httpTotals.mismatched} periods mismatched; ${httpOk.toLocaleString('en-US')} 2xx answers counted by the load generator (a timed run stops counting with requests still in flight, which the server completes and charges: ${(httpTotals.ledger - httpOk).toLocaleString('en-US')} here, at most ${httpRuns.length} runs × 50 connections).`,
    `${ok(two.isExact)} two server processes (two pools, two batchers) on one database, every run id sent to both: ${two.tenants} tenants × ${two.runIdsPerTenant} run ids, limit ${two.limit}: counters ${two.totals.used} (expected ${two.tenants * two.limit}), ledger ${two.totals.ledger}, over limit ${two.totals.overLimit}; 200 answers ${two.ok} (expected ${two.expectedOk}: each admitted run once consumed, once a replay), 402 answers ${two.denied} (expected ${two.expectedDenied}).`,
    ...lifecycleLines(r.lifecycle, ok),
    `${ok(webhooks.ignored.isExact && webhooks.subscription.isExact)} webhooks: every delivery answered 200; events stored once each (${webhooks.ignored.stored} of ${webhooks.ignored.uniqueEvents} and ${webhooks.subscription.stored} of ${webhooks.subscription.uniqueEvents}).`,
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

function detailLines(r: BenchResults): string[] {
  const { service, http, webhooks, web } = r;
  const batch = (run: AuthorizeRun) =>
    run.meanBatch === null ? '' : `, mean ${run.meanBatch.toFixed(0)} runs per commit`;
  return [
    `Service level: \`services.usage.authorize\` of two servers started with \`startServer\` on one pool of 10 connections — \`AUTHORIZE_BATCH_WINDOW_MS=2\`, \`AUTHORIZE_BATCH_MAX=256\` vs \`AUTHORIZE_BATCH_WINDOW_MS=0\` — ${CONCURRENCY_NOTE}; every call a new run id. 1,000 tenants: ${rate(service.tenantsBatched.perSecond)}${batch(service.tenantsBatched)} vs ${rate(service.tenantsSingle.perSecond)}; hot tenant: ${rate(service.hotBatched.perSecond)}${batch(service.hotBatched)} vs ${rate(service.hotSingle.perSecond)}.`,
    `pgbench-equivalents: the issue's statements through drizzle/node-postgres with 8 concurrent clients, 3 s each.`,
    `HTTP: autocannon in a child process, 50 connections, 4 s per figure, 1,000 tenants with their own JWTs, every authorize a new run id. Bare JSON ${rate(http.bareJson.perSecond, ' req/s')}; tRPC: \`auth.me\` ${rate(http.trpcMe.perSecond, ' req/s')} (p99 ${ms(http.trpcMe.latencyMs.p99)}), authorize ${rate(http.trpcAuthorize.perSecond, ' req/s')} (p99 ${ms(http.trpcAuthorize.latencyMs.p99)}); REST: \`auth/me\` ${rate(http.restMe.perSecond, ' req/s')} (p99 ${ms(http.restMe.latencyMs.p99)}), authorize ${rate(http.restAuthorize.perSecond, ' req/s')} (p99 ${ms(http.restAuthorize.latencyMs.p99)}), metered run ${rate(http.restRun.perSecond, ' req/s')} (p99 ${ms(http.restRun.latencyMs.p99)}) — the metered route also checks the session, writes the run record and calls the agent runner (the local one), each a statement of its own.`,
    `Webhooks: ${webhooks.ignored.deliveries} deliveries of ${webhooks.ignored.uniqueEvents} \`customer.created\` events and ${webhooks.subscription.deliveries} of ${webhooks.subscription.uniqueEvents} \`customer.subscription.updated\` events for ${webhooks.subscriptions} subscriptions made through Checkout on the in-process Stripe emulator; 32 connections; each delivery signed on its own; p99 ${ms(webhooks.ignored.load.latencyMs.p99)} and ${ms(webhooks.subscription.load.latencyMs.p99)}.`,
    `Web: \`pnpm --filter @tollgate/web build\`${web.isFreshBuild ? '' : ' FAILED (figure from the previous dist)'}; the billing screen loads ${web.billingChunks.join(', ')}; the console adds ${web.consoleChunks.join(', ')}.`,
  ];
}

const CONCURRENCY_NOTE = '512 calls in flight, 4 s each after a 0.3 s warm-up';
