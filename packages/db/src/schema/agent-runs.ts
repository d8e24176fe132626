import { sql } from 'drizzle-orm';
import { check, foreignKey, index, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core';
import { agentSessions } from './agent-sessions';
import { timestamptz } from './columns';
import { users } from './users';

/**
 * started: handed to the runner, no answer yet; completed: the runner confirmed it; failed: the runner
 * proved it never started (the run was released); unconfirmed: the runner's answer was lost (timeout,
 * 5xx) — the run stays charged and is flagged for operators.
 */
export const AGENT_RUN_STATUSES = ['started', 'completed', 'failed', 'unconfirmed'] as const;
export type AgentRunStatus = (typeof AGENT_RUN_STATUSES)[number];

export const agentRuns = pgTable(
  'agent_runs',
  {
    accountId: uuid('account_id').notNull(),
    id: uuid('id').notNull().defaultRandom(),
    sessionId: uuid('session_id').notNull(),
    /** The member who ran it. */
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // The caller-supplied run id: the same id the usage ledger charged, so a run and its charge match.
    runId: text('run_id').notNull(),
    prompt: text('prompt').notNull(),
    reply: text('reply'),
    status: text('status').$type<AgentRunStatus>().notNull().default('started'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    finishedAt: timestamptz('finished_at'),
  },
  (t) => [
    primaryKey({ name: 'agent_runs_pkey', columns: [t.accountId, t.id] }),
    foreignKey({
      name: 'agent_runs_session_fk',
      columns: [t.accountId, t.sessionId],
      foreignColumns: [agentSessions.accountId, agentSessions.id],
    }),
    unique('agent_runs_account_id_run_id_unique').on(t.accountId, t.runId),
    index('agent_runs_account_id_session_id_created_at_idx').on(t.accountId, t.sessionId, t.createdAt),
    check('agent_runs_status_valid', sql`${t.status} in ('started', 'completed', 'failed', 'unconfirmed')`),
  ],
);

export type AgentRunRow = typeof agentRuns.$inferSelect;
export type NewAgentRunRow = typeof agentRuns.$inferInsert;
