import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';

/** What waits in one outbox: how many rows, and when the oldest of them was made (null: none). */
export interface QueueStats {
  depth: number;
  oldestCreatedAt: Date | null;
}

interface StatsRow extends Record<string, unknown> {
  depth: number | string;
  oldest: Date | string | null;
}

const statsOf = ([row]: StatsRow[]): QueueStats => ({
  depth: Number(row?.depth ?? 0),
  oldestCreatedAt: row?.oldest ? new Date(row.oldest) : null,
});

/**
 * The email outbox's pending rows (due or backing off): read at metrics scrape time, one aggregate over
 * the partial index of pending rows, so it stays cheap however many sent rows the table keeps.
 */
export async function emailOutboxStats(db: Database): Promise<QueueStats> {
  return statsOf(
    await queryRows<StatsRow>(
      db,
      sql`select count(*) as depth, min(created_at) as oldest from email_outbox where status = 'pending'`,
    ),
  );
}

/**
 * Meter batches not yet delivered to Stripe, across every account (an operator's view of the outbox):
 * one aggregate over the partial index of pending batches, at scrape time.
 */
export async function meterBatchStats(db: Database): Promise<QueueStats> {
  return statsOf(
    await queryRows<StatsRow>(
      db,
      sql`select count(*) as depth, min(created_at) as oldest from meter_batches where status = 'pending'`,
    ),
  );
}
