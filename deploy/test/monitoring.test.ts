import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@tollgate/api';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import { parseEnv, startServer, type RunningServer } from '@tollgate/server';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort } from '../src/http/free-port';
import { exportedFamilies, tollgateFamiliesIn } from '../src/monitoring/metric-names';
import { startPrometheus, type RunningPrometheus } from '../src/monitoring/prometheus-process';
import { promtool } from '../src/monitoring/promtool';
import { REPO_ROOT } from '../src/repo-root';

// deploy/monitoring/ checked with Debian's Prometheus 2.42 (`npm test` installs it: system-deps.mjs):
// promtool validates the shipped config and rules, then a real Prometheus, configured from the shipped
// scrape config, scrapes a running server's metrics listener and evaluates the shipped alert rules.
const MONITORING = join(REPO_ROOT, 'deploy/monitoring');
const CONFIG = join(MONITORING, 'prometheus.yml');
const ALERTS = join(MONITORING, 'alerts.yml');
const ALERT_TESTS = join(MONITORING, 'alerts.test.yml');
const DASHBOARD = join(MONITORING, 'grafana/tollgate-dashboard.json');
const TOKEN = 'deploy-monitoring-token-0123456789';
const WEBHOOK_SECRET = 'whsec_deploy_monitoring_secret';
const ADMITTED_RUNS = 3;

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
const alertRules = (parse(readFileSync(ALERTS, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (group) => group.rules,
);
interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}
const panels = (JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] }).panels;
/** The dashboard's queries with Grafana's variables filled in as Grafana would. */
const dashboardExprs = panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({
    panel: panel.title,
    expr: target.expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'tollgate'),
  })),
);

describe('the shipped monitoring config (promtool)', () => {
  it('promtool check config: the scrape config and the rule files it loads are valid', () => {
    const result = promtool(['check', 'config', CONFIG]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status, result.output).toBe(0);
  });

  it('promtool check rules: every alert parses, with a summary', () => {
    const result = promtool(['check', 'rules', ALERTS]);
    expect(result.status, result.output).toBe(0);
    const names = alertRules.map((rule) => rule.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'TollgateWebhookFailures',
        'TollgateReconciliationDrift',
        'TollgateQueueStuck',
        'TollgateHigh5xxRate',
        'TollgateHighP99Latency',
      ]),
    );
  });

  it('promtool test rules: the alerts fire on the series they are for, and not on healthy ones', () => {
    const result = promtool(['test', 'rules', ALERT_TESTS]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });

  it('the scrape config finds every server replica on the metrics port by DNS', () => {
    const config = parse(readFileSync(CONFIG, 'utf8')) as {
      scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
    };
    const [job] = config.scrape_configs;
    expect(job?.job_name).toBe('tollgate');
    expect(job?.dns_sd_configs).toEqual([expect.objectContaining({ names: ['server'], port: 9464 })]);
  });
});

describe('Prometheus scraping a running server', () => {
  let db: TestDbHandle;
  let server: RunningServer;
  let prometheus: RunningPrometheus;
  let scrapeText: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-monitoring-'));
    db = await createTestDb();
    // The embedded Stripe emulator (no STRIPE_SECRET_KEY outside production), metrics on a port of
    // their own behind a token.
    const env = parseEnv({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      METRICS_TOKEN: TOKEN,
      APP_URL: 'https://tollgate.test',
      JWT_SECRET: 'deploy-monitoring-secret-of-at-least-32-characters',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      LOG_REQUESTS: 'false',
      EMAIL_OUTBOX_INTERVAL_MS: '0',
    });
    server = await startServer(env, { db, logger: silentLogger });
    await exercise(server.url);
    const metrics = server.metrics;
    if (!metrics) throw new Error('the metrics listener did not start');
    scrapeText = await (
      await fetch(`${metrics.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();

    // The shipped config, with the replicas' DNS name swapped for this server's listener.
    const shipped = parse(readFileSync(CONFIG, 'utf8')) as Record<string, unknown> & {
      scrape_configs: Record<string, unknown>[];
    };
    const job = shipped.scrape_configs[0] ?? {};
    delete job['dns_sd_configs'];
    const config = {
      ...shipped,
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [ALERTS],
      scrape_configs: [
        {
          ...job,
          static_configs: [{ targets: [`127.0.0.1:${metrics.port}`] }],
          authorization: { type: 'Bearer', credentials: TOKEN },
        },
      ],
    };
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, stringify(config));
    expect(promtool(['check', 'config', configFile]).status).toBe(0);
    prometheus = await startPrometheus({
      configFile,
      dataDir: join(dir, 'tsdb'),
      port: await freePort(),
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await server?.close();
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Until `expr` has a sample (Prometheus scrapes every second here). */
  async function eventually(expr: string) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const result = await prometheus.query(expr);
      if (result.length > 0 || Date.now() > deadline) return result;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('scrapes the server: up is 1 and the authorizations made are there, by code', async () => {
    const up = await eventually('up{job="tollgate"} == 1');
    expect(up, prometheus.output()).toHaveLength(1);
    const admitted = await eventually('tollgate_authorize_total{code="ADMITTED"}');
    expect(admitted.map((sample) => Number(sample.value[1]))).toEqual([ADMITTED_RUNS]);
    const webhooks = await eventually('tollgate_webhook_events_total{type="customer.created"}');
    expect(webhooks[0]?.metric['outcome']).toBe('ignored');
    expect(await eventually('tollgate_nodejs_eventloop_lag_p99_seconds')).toHaveLength(1);
  });

  it("promtool check metrics: the exposition parses, and Tollgate's own families pass its lint", () => {
    const result = promtool(['check', 'metrics'], scrapeText);
    expect(result.output).not.toMatch(/error while linting|parsing error/i);
    // prom-client's Node defaults name gauges `…_total` (nodejs_active_handles_total): not ours to rename.
    const problems = result.output.split('\n').filter((line) => line.trim() !== '');
    expect(problems.filter((line) => !/^tollgate_(nodejs|process)_/.test(line))).toEqual([]);
  });

  it('every metric the alert rules and the dashboard read is exported by the server', () => {
    const exported = exportedFamilies(scrapeText);
    expect(exported.size).toBeGreaterThan(20);
    const missing = [
      ...alertRules.map((rule) => ({ where: `alert ${rule.alert ?? rule.record}`, expr: rule.expr })),
      ...dashboardExprs.map(({ panel, expr }) => ({ where: `panel ${panel}`, expr })),
    ].flatMap(({ where, expr }) =>
      tollgateFamiliesIn(expr, exported)
        .filter((family) => !exported.has(family))
        .map((family) => `${where}: ${family}`),
    );
    expect(missing).toEqual([]);
    // Each alert reads at least one Tollgate metric (or `up`), so none can be silently empty forever.
    for (const rule of alertRules) expect(rule.expr, rule.alert).toMatch(/\btollgate_|\bup\{/);
  });

  it('Prometheus loads and evaluates every alert rule without an error', async () => {
    const deadline = Date.now() + 20_000;
    let rules: { name: string; health: string; lastError?: string }[] = [];
    while (Date.now() < deadline) {
      const data = await prometheus.api<{ groups: { rules: typeof rules }[] }>('/api/v1/rules');
      rules = data.groups.flatMap((group) => group.rules);
      if (rules.length > 0 && rules.every((rule) => rule.health === 'ok')) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(rules.map((rule) => rule.name).sort()).toEqual(
      alertRules.map((rule) => rule.alert ?? rule.record).sort(),
    );
    expect(rules.filter((rule) => rule.health !== 'ok')).toEqual([]);
  });

  it('every dashboard query is valid PromQL for this Prometheus', async () => {
    expect(dashboardExprs.length).toBeGreaterThan(15);
    for (const { panel, expr } of dashboardExprs) {
      await expect(prometheus.query(expr), panel).resolves.toBeInstanceOf(Array);
    }
  });
});

/** A user, a few admitted runs, a refused one, and a signed webhook: samples for the metrics read. */
async function exercise(url: string): Promise<void> {
  const register = await post(`${url}/api/trpc/auth.register`, {
    email: `monitoring-${Date.now()}@example.test`,
    password: 'correct horse battery',
  });
  const { accessToken } = ((await register.json()) as { result: { data: { accessToken: string } } }).result
    .data;
  for (let i = 1; i <= ADMITTED_RUNS; i += 1) {
    const admitted = await post(`${url}/api/v1/usage/authorize`, { runId: `mon-${i}` }, accessToken);
    expect(admitted.status).toBe(200);
  }
  const reused = await post(`${url}/api/v1/usage/authorize`, { runId: 'mon-1', estimate: 2 }, accessToken);
  expect(reused.status).toBe(409);
  const payload = JSON.stringify({
    id: 'evt_deploy_monitoring_1',
    object: 'event',
    type: 'customer.created',
    created: Math.floor(Date.now() / 1000) - 5,
    data: { object: { id: 'cus_monitoring', object: 'customer' } },
  });
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const webhook = await fetch(`${url}/api/v1/billing/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
  });
  expect(webhook.status).toBe(200);
}

function post(url: string, body: unknown, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}
