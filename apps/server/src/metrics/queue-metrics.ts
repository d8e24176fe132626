import type { Logger } from '@tollgate/api';
import { emailOutboxStats, meterBatchStats, type Database, type QueueStats } from '@tollgate/db';
import { Gauge, type Registry } from 'prom-client';

const QUEUES: Readonly<Record<string, (db: Database) => Promise<QueueStats>>> = {
  email_outbox: emailOutboxStats,
  meter_batches: meterBatchStats,
};

/**
 * Job queue depth and the age of the oldest waiting job, read at scrape time (one aggregate query per
 * queue) rather than kept up to date on every write. The numbers are the database's: every replica
 * reports the same, so dashboards and alerts take max() across instances. A query that fails leaves
 * its queue without a sample for this scrape (and says so in the log) instead of failing the scrape.
 */
export function registerQueueMetrics(
  registry: Registry,
  db: Database,
  now: () => Date,
  logger: Logger,
): void {
  let stats: Promise<Map<string, QueueStats>> | null = null;
  // Both gauges ask in the same scrape: one read of each queue serves them both.
  const read = () => {
    stats ??= readAll().finally(() => setImmediate(() => (stats = null)));
    return stats;
  };
  async function readAll(): Promise<Map<string, QueueStats>> {
    const entries = await Promise.all(
      Object.entries(QUEUES).map(async ([queue, statsOf]) => {
        try {
          return [[queue, await statsOf(db)] as const];
        } catch (error) {
          logger.warn('queue metrics could not be read', { queue, error: String(error) });
          return [];
        }
      }),
    );
    return new Map(entries.flat());
  }

  new Gauge({
    name: 'tollgate_queue_depth',
    help: 'Jobs waiting in a queue (email_outbox: pending emails; meter_batches: undelivered meter events)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [queue, { depth }] of await read()) this.set({ queue }, depth);
    },
  });
  new Gauge({
    name: 'tollgate_queue_oldest_age_seconds',
    help: 'Age of the oldest job waiting in a queue (0 when empty)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      const at = now().getTime();
      for (const [queue, { oldestCreatedAt }] of await read()) {
        this.set({ queue }, oldestCreatedAt ? Math.max(0, (at - oldestCreatedAt.getTime()) / 1000) : 0);
      }
    },
  });
}
