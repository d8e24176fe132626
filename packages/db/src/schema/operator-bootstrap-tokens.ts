import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

// While no operator exists, each starting server prints a one-time token; a signed-in user who
// presents one becomes the first operator. Only the hash is stored, and each token works once.
export const operatorBootstrapTokens = pgTable('operator_bootstrap_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  expiresAt: timestamptz('expires_at').notNull(),
  usedAt: timestamptz('used_at'),
  usedByUserId: text('used_by_user_id'),
});

export type OperatorBootstrapTokenRow = typeof operatorBootstrapTokens.$inferSelect;
