import { index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';
import { users } from './users';

export const agentSessions = pgTable(
  'agent_sessions',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    /** The member who made it: sessions are private to their creator inside the account. */
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    // Sessions are hidden, never removed: their runs stay, so a run id is never free to use again.
    deletedAt: timestamptz('deleted_at'),
  },
  (t) => [
    primaryKey({ name: 'agent_sessions_pkey', columns: [t.accountId, t.id] }),
    index('agent_sessions_account_id_user_id_created_at_idx').on(t.accountId, t.userId, t.createdAt),
  ],
);

export type AgentSessionRow = typeof agentSessions.$inferSelect;
export type NewAgentSessionRow = typeof agentSessions.$inferInsert;
