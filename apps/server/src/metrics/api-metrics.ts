import type { Metrics } from '@tollgate/api';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The API's hooks (packages/api/src/metrics.ts) as prom-client families. Labels come from closed sets
 * (authorize codes, webhook outcomes, Stripe event types, reconciliation sources): bounded cardinality.
 */
export function createApiMetrics(registry: Registry): Metrics {
  const registers = [registry];
  const authorizations = new Counter({
    name: 'tollgate_authorize_total',
    help: 'Run authorizations answered, by code: ADMITTED, REPLAYED, or the 402/409 refusal code',
    labelNames: ['code'],
    registers,
  });
  const batchSize = new Histogram({
    name: 'tollgate_run_batch_size',
    help: 'Runs reserved in one grouped commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers,
  });
  const batchWait = new Histogram({
    name: 'tollgate_run_batch_wait_seconds',
    help: "How long a grouped commit's oldest run waited to be sent",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers,
  });
  const webhookEvents = new Counter({
    name: 'tollgate_webhook_events_total',
    help: 'Stripe webhook events settled, by type and outcome (processed, duplicate, ignored, failed, error)',
    labelNames: ['type', 'outcome'],
    registers,
  });
  const webhookLag = new Histogram({
    name: 'tollgate_webhook_lag_seconds',
    help: "Seconds between a Stripe event's created time and its first delivery being settled here",
    labelNames: ['type'],
    buckets: [1, 5, 15, 30, 60, 300, 900, 3600, 21_600, 86_400],
    registers,
  });
  const reconciled = {
    checked: counter(
      'tollgate_reconciliation_checked_total',
      'Accounts or periods a reconciliation compared',
    ),
    corrected: counter(
      'tollgate_reconciliation_corrected_total',
      'Accounts or periods a reconciliation had to correct (drift webhooks and meter deliveries missed)',
    ),
    failed: counter(
      'tollgate_reconciliation_failed_total',
      'Accounts or periods a reconciliation could not settle (errors, overbilling for an operator)',
    ),
  };
  const lastCorrected = new Gauge({
    name: 'tollgate_reconciliation_last_corrected',
    help: "Drift found by a reconciliation's last pass: what it corrected",
    labelNames: ['source'],
    registers,
  });
  const lastRun = new Gauge({
    name: 'tollgate_reconciliation_last_run_timestamp_seconds',
    help: "When a reconciliation's last pass ended (Unix time)",
    labelNames: ['source'],
    registers,
  });

  function counter(name: string, help: string) {
    return new Counter({ name, help, labelNames: ['source'], registers });
  }

  return {
    authorizeOutcome: (code) => authorizations.inc({ code }),
    runBatch(size, waitSeconds) {
      batchSize.observe(size);
      batchWait.observe(waitSeconds);
    },
    webhookEvent(type, outcome, lagSeconds) {
      webhookEvents.inc({ type, outcome });
      if (lagSeconds !== null) webhookLag.observe({ type }, lagSeconds);
    },
    reconciliation(source, tally) {
      reconciled.checked.inc({ source }, tally.checked);
      reconciled.corrected.inc({ source }, tally.corrected);
      reconciled.failed.inc({ source }, tally.failed);
      lastCorrected.set({ source }, tally.corrected);
      lastRun.set({ source }, Date.now() / 1000);
    },
  };
}
