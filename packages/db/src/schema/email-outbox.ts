import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

export const EMAIL_OUTBOX_STATUSES = ['pending', 'sent', 'failed', 'skipped'] as const;
export type EmailOutboxStatus = (typeof EMAIL_OUTBOX_STATUSES)[number];

/**
 * Emails to send, one row per recipient and event, written in the same transaction as the change that
 * causes them (a webhook's effect, a run batch, a trial start, a sign-up). `dedupe_key` is unique: the
 * same event can't enqueue twice. The worker claims due rows with FOR UPDATE SKIP LOCKED and a lease
 * (several processes share the work, none sends a row another holds), sends after the claim commits
 * (no SMTP call inside a transaction), then marks the row sent. A process killed mid-send leaves a lease
 * that expires; the row is sent again with the same Message-ID (`<outbox-<id>@…>`).
 * `data` holds the email's facts, rendered at send time; links carrying a secret (verification, reset,
 * invitation) are erased once sent.
 */
export const emailOutbox = pgTable(
  'email_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    /** Not foreign keys: a row outlives its account or user and stays the record of what was sent. */
    accountId: uuid('account_id'),
    userId: text('user_id'),
    toAddress: text('to_address').notNull(),
    kind: text('kind').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
    status: text('status').$type<EmailOutboxStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at').notNull().defaultNow(),
    leaseUntil: timestamptz('lease_until'),
    lastError: text('last_error'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    sentAt: timestamptz('sent_at'),
  },
  (t) => [
    index('email_outbox_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    check('email_outbox_status_valid', sql`${t.status} in ('pending', 'sent', 'failed', 'skipped')`),
    check('email_outbox_dedupe_key_length', sql`length(${t.dedupeKey}) <= 400`),
  ],
);

export type EmailOutboxRow = typeof emailOutbox.$inferSelect;
