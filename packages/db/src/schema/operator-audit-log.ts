import { bigserial, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

/**
 * Every operator action, one row each: who (and in which platform role), what, on which account, the
 * state before and after, the reason the operator typed, and the request id. Append-only: row triggers
 * refuse UPDATE and DELETE and a statement trigger refuses TRUNCATE (migration 0008); the server runs as
 * a role that doesn't own the table (docs/production.md), so it can't drop them either. No foreign key
 * to accounts: the history outlives what it is about.
 */
export const operatorAuditLog = pgTable(
  'operator_audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamptz('at').notNull().defaultNow(),
    actorUserId: text('actor_user_id').notNull(),
    actorRole: text('actor_role').notNull(),
    action: text('action').notNull(),
    accountId: uuid('account_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    reason: text('reason').notNull(),
    requestId: text('request_id'),
  },
  (t) => [
    index('operator_audit_log_account_idx').on(t.accountId, t.at),
    index('operator_audit_log_at_idx').on(t.at),
  ],
);

export type OperatorAuditRow = typeof operatorAuditLog.$inferSelect;
