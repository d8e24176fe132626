/**
 * What the API tells an operator's metrics about money paths, called at the places that know. The host
 * (apps/server) implements it with prom-client; the API stays free of that dependency. Each hook is one
 * call with a few numbers or a label from a bounded set; `infallibleMetrics` makes sure none can throw
 * into the code that calls it (a metrics failure never changes an answer).
 */
export interface Metrics {
  /**
   * One `usage.authorize` answered: `ADMITTED`, `REPLAYED`, the 402 body's code (e.g. `LIMIT_REACHED`),
   * the refusal's AppError code (`RUN_ID_REUSED`, `RUN_RELEASED`, …) or `ERROR` for anything else.
   */
  authorizeOutcome(code: string): void;
  /** One grouped reservation sent: its size and how long its oldest caller waited to be sent. */
  runBatch(size: number, waitSeconds: number): void;
  /**
   * One Stripe webhook delivery or replay settled. `outcome`: processed, duplicate, ignored, failed
   * (permanent, answered 200) or error (retryable, answered 5xx). `lagSeconds`: now − the event's
   * `created`, only for an event this delivery applied.
   */
  webhookEvent(type: string, outcome: WebhookMetricOutcome, lagSeconds: number | null): void;
  /** One reconciliation pass: what it compared, what it had to correct, what it could not settle. */
  reconciliation(source: ReconciliationSource, tally: ReconciliationTally): void;
}

export type WebhookMetricOutcome = 'processed' | 'duplicate' | 'ignored' | 'failed' | 'error';

/** `stripe_subscriptions`: createReconciler; `stripe_meter`: the overage meter reconciliation. */
export type ReconciliationSource = 'stripe_subscriptions' | 'stripe_meter';

export interface ReconciliationTally {
  checked: number;
  corrected: number;
  /** Errors, and (meter) overbilling only an operator can settle. */
  failed: number;
}

export const noopMetrics: Metrics = {
  authorizeOutcome: () => undefined,
  runBatch: () => undefined,
  webhookEvent: () => undefined,
  reconciliation: () => undefined,
};

/** `metrics` with every hook wrapped: whatever a hook throws is dropped, never seen by its caller. */
export function infallibleMetrics(metrics: Metrics | undefined): Metrics {
  if (!metrics) return noopMetrics;
  const guard =
    <Args extends unknown[]>(hook: (...args: Args) => void) =>
    (...args: Args): void => {
      try {
        hook.apply(metrics, args);
      } catch {
        // Metrics are an observer: losing one sample is better than failing a charge or a webhook.
      }
    };
  return {
    authorizeOutcome: guard(metrics.authorizeOutcome),
    runBatch: guard(metrics.runBatch),
    webhookEvent: guard(metrics.webhookEvent),
    reconciliation: guard(metrics.reconciliation),
  };
}
