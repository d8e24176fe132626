import { vi, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPostgresServerUrl } from '@tollgate/db/testing';
import type { Counter } from 'prom-client';
import { EnvError, parseEnv } from '../src/env';
import { startBillingTestServer, type BillingTestServer } from './support/billing-server';
import { registerUser, request } from './support/http';
import { eventOf, sendWebhook } from './support/webhooks';

const TOKEN = 'metrics-token-for-the-test-0123456789';

let billing: BillingTestServer;
beforeAll(async () => {
  // METRICS_PORT=0: the metrics listener on a port of its own, picked by the OS.
  billing = await startBillingTestServer({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
});
afterAll(() => billing?.stop());

function metricsUrl(): string {
  const url = billing.server.metrics?.url;
  if (!url) throw new Error('the metrics listener is not running');
  return `${url}/metrics`;
}

async function scrape(): Promise<string> {
  const response = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

/** The value of the sample `name{labels…}` (labels in any order, extra labels allowed), or null. */
function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const has = Object.entries(labels).every(([key, value]) => match[2]?.includes(`${key}="${value}"`));
    if (has) return Number(match[3]);
  }
  return null;
}

async function authorize(token: string, runId: string) {
  return request<{ error?: { code: string } }>(billing.server.url, 'POST', '/api/v1/usage/authorize', {
    token,
    body: { runId },
  });
}

describe('Prometheus metrics on their own listener', () => {
  it('counts authorizations by code: admitted runs and a 402 by its own code, with latency by route', async () => {
    const { accessToken } = await registerUser(billing.server.url);
    for (let i = 1; i <= 10; i += 1) expect((await authorize(accessToken, `m-run-${i}`)).status).toBe(200);
    expect((await authorize(accessToken, 'm-run-1')).status).toBe(200); // a replay
    const denied = await authorize(accessToken, 'm-run-11');
    expect(denied.status).toBe(402);
    expect(denied.body.error?.code).toBe('USAGE_LIMIT_REACHED');

    const text = await scrape();
    expect(sampleOf(text, 'tollgate_authorize_total', { code: 'ADMITTED' })).toBe(10);
    expect(sampleOf(text, 'tollgate_authorize_total', { code: 'REPLAYED' })).toBe(1);
    expect(sampleOf(text, 'tollgate_authorize_total', { code: 'USAGE_LIMIT_REACHED' })).toBe(1);
    // By route template, never the raw URL; status by class.
    const route = 'rest:POST /api/v1/usage/authorize';
    expect(sampleOf(text, 'tollgate_http_request_duration_seconds_count', { route, status: '2xx' })).toBe(11);
    expect(sampleOf(text, 'tollgate_http_request_duration_seconds_count', { route, status: '4xx' })).toBe(1);
    expect(text).toContain('route="trpc:auth.register"');
    expect(text).not.toContain('m-run-');
    // Batched reservations (AUTHORIZE_BATCH_WINDOW_MS defaults on), queues, Node's defaults.
    expect(sampleOf(text, 'tollgate_run_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(sampleOf(text, 'tollgate_run_batch_wait_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sampleOf(text, 'tollgate_queue_depth', { queue: 'email_outbox' })).toBeGreaterThanOrEqual(0);
    expect(sampleOf(text, 'tollgate_queue_oldest_age_seconds', { queue: 'meter_batches' })).toBe(0);
    expect(sampleOf(text, 'tollgate_process_cpu_user_seconds_total')).not.toBeNull();
    expect(text).toContain('# TYPE tollgate_db_pool_connections gauge');
    // The node-postgres pool on PostgreSQL; PGlite has none, so no sample.
    const poolTotal = sampleOf(text, 'tollgate_db_pool_connections', { state: 'total' });
    if (testPostgresServerUrl()) expect(poolTotal).toBeGreaterThanOrEqual(1);
    else expect(poolTotal).toBeNull();
  });

  it('counts webhook events by type and outcome, with their lag behind Stripe’s created', async () => {
    const event = eventOf(
      'payout.paid',
      { id: 'po_metrics', object: 'payout' },
      { created: Math.floor(Date.now() / 1000) - 120 },
    );
    expect((await sendWebhook(billing, event)).status).toBe(200);
    expect((await sendWebhook(billing, event)).status).toBe(200);

    const text = await scrape();
    const type = 'payout.paid';
    expect(sampleOf(text, 'tollgate_webhook_events_total', { type, outcome: 'ignored' })).toBe(1);
    expect(sampleOf(text, 'tollgate_webhook_events_total', { type, outcome: 'duplicate' })).toBe(1);
    // One lag: the first delivery's, about two minutes.
    expect(sampleOf(text, 'tollgate_webhook_lag_seconds_count', { type })).toBe(1);
    expect(sampleOf(text, 'tollgate_webhook_lag_seconds_sum', { type })).toBeGreaterThanOrEqual(119);
    expect(sampleOf(text, 'tollgate_webhook_lag_seconds_bucket', { type, le: '60' })).toBe(0);
    expect(sampleOf(text, 'tollgate_webhook_lag_seconds_bucket', { type, le: '300' })).toBe(1);
  });

  it('counts a reconciliation pass and the drift it corrected', async () => {
    await billing.server.services.stripe?.reconcile();
    const text = await scrape();
    const source = 'stripe_subscriptions';
    expect(sampleOf(text, 'tollgate_reconciliation_corrected_total', { source })).toBe(0);
    expect(sampleOf(text, 'tollgate_reconciliation_last_run_timestamp_seconds', { source })).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
  });

  it('requires the token when one is set, and serves nothing but /metrics', async () => {
    expect((await fetch(metricsUrl())).status).toBe(401);
    const wrong = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    const other = await fetch(metricsUrl().replace('/metrics', '/api/v1/health'), {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(other.status).toBe(404);
  });

  it('never answers /metrics on the public port', async () => {
    expect(billing.server.metrics?.port).not.toBe(billing.server.port);
    for (const path of ['/metrics', '/api/metrics', '/api/v1/metrics']) {
      const response = await fetch(`${billing.server.url}${path}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      // /metrics may get the web app's index.html (its client-side 404) when apps/web is built.
      if (path.startsWith('/api')) expect(response.status, path).toBe(404);
      const body = await response.text();
      expect(body, path).not.toContain('# TYPE');
      expect(body, path).not.toContain('tollgate_authorize_total');
    }
  });

  it('a metric that throws changes no answer: the authorize and the webhook answer as before', async () => {
    const registry = billing.server.metrics?.registry;
    const authorizations = registry?.getSingleMetric('tollgate_authorize_total') as Counter | undefined;
    const webhooks = registry?.getSingleMetric('tollgate_webhook_events_total') as Counter | undefined;
    if (!authorizations || !webhooks) throw new Error('metric families missing');
    const broken = () => {
      throw new Error('metrics backend exploded');
    };
    const spies = [vi.spyOn(authorizations, 'inc').mockImplementation(broken)];
    spies.push(vi.spyOn(webhooks, 'inc').mockImplementation(broken));
    try {
      const { accessToken } = await registerUser(billing.server.url);
      const admitted = await authorize(accessToken, 'broken-metrics-1');
      expect(admitted.status).toBe(200);
      expect(admitted.body).toMatchObject({ runId: 'broken-metrics-1', used: 1, limit: 10 });
      const webhook = await sendWebhook(billing, eventOf('payout.failed', { id: 'po_broken' }));
      expect(webhook.status).toBe(200);
      expect(spies.every((spy) => spy.mock.calls.length > 0)).toBe(true);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe('metrics settings (env.ts)', () => {
  it('off unless METRICS_PORT is set; loopback by default; no token by default', () => {
    const defaults = parseEnv({});
    expect(defaults.METRICS_PORT).toBeUndefined();
    expect(defaults.METRICS_HOST).toBe('127.0.0.1');
    expect(defaults.METRICS_TOKEN).toBeUndefined();
    expect(parseEnv({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })).toMatchObject({
      METRICS_PORT: 9464,
      METRICS_HOST: '0.0.0.0',
    });
  });

  it('refuses the public port, a short token, a token with spaces', () => {
    expect(() => parseEnv({ PORT: '3000', METRICS_PORT: '3000' })).toThrow(
      /METRICS_PORT: must differ from PORT/,
    );
    expect(() => parseEnv({ METRICS_PORT: '9464', METRICS_TOKEN: 'short' })).toThrow(EnvError);
    expect(() => parseEnv({ METRICS_TOKEN: 'a token with spaces in it' })).toThrow(/printable ASCII/);
    expect(() => parseEnv({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
  });
});
