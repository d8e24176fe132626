import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { isUuid } from '../ids';
import { agentRuns, agentSessions } from '../schema';
import type { AgentRunRow, AgentRunStatus } from '../schema';
import { getSession } from './agent-sessions';
import type { SessionOwner } from './session-owner';

export interface InsertRunInput {
  owner: SessionOwner;
  sessionId: string;
  /** The caller's run id, the same one the usage ledger charged. */
  runId: string;
  prompt: string;
  status?: AgentRunStatus;
  now?: Date;
}

export type InsertRunResult =
  | { outcome: 'created'; run: AgentRunRow }
  /** This user already has a run with this run id (a retried request): the existing run. */
  | { outcome: 'duplicate'; run: AgentRunRow }
  /** No session with that id belongs to this user. */
  | { outcome: 'session_not_found' };

/**
 * Adds a run to one of the user's sessions and marks the session's activity (`updated_at`, what the
 * session list shows as "Updated"): a new run is the session changing, so no caller can forget it.
 * Call it inside a transaction when the run must not exist without its session's bump.
 */
export async function insertRun(db: Database, input: InsertRunInput): Promise<InsertRunResult> {
  const session = await getSession(db, input.owner, input.sessionId);
  if (!session) return { outcome: 'session_not_found' };
  const [created] = await db
    .insert(agentRuns)
    .values({
      accountId: session.accountId,
      sessionId: session.id,
      userId: input.owner.userId,
      runId: input.runId,
      prompt: input.prompt,
      status: input.status ?? 'started',
      ...(input.now ? { createdAt: input.now } : {}),
    })
    .onConflictDoNothing({ target: [agentRuns.accountId, agentRuns.runId] })
    .returning();
  if (created) {
    // Never backwards: a run stamped earlier than the session's last activity leaves it as is.
    await db
      .update(agentSessions)
      .set({
        updatedAt: sql`greatest(${agentSessions.updatedAt}, ${created.createdAt.toISOString()}::timestamptz)`,
      })
      .where(and(eq(agentSessions.accountId, session.accountId), eq(agentSessions.id, session.id)));
    return { outcome: 'created', run: created };
  }
  const existing = await findRunByRunId(db, input.owner, input.runId);
  if (!existing) throw new Error('insertRun: conflicting run disappeared');
  return { outcome: 'duplicate', run: existing };
}

export async function findRunByRunId(
  db: Database,
  owner: SessionOwner,
  runId: string,
): Promise<AgentRunRow | null> {
  const [row] = await db
    .select()
    .from(agentRuns)
    .where(
      and(
        eq(agentRuns.accountId, owner.accountId),
        eq(agentRuns.userId, owner.userId),
        eq(agentRuns.runId, runId),
      ),
    )
    .limit(1);
  return row ?? null;
}

export interface RunStatusUpdate {
  status: AgentRunStatus;
  reply?: string | null;
  /** Sets finishedAt when the status is final (default: now). */
  now?: Date;
}

export async function updateRunStatus(
  db: Database,
  owner: SessionOwner,
  runId: string,
  update: RunStatusUpdate,
): Promise<AgentRunRow | null> {
  const isFinal = update.status !== 'started';
  const [row] = await db
    .update(agentRuns)
    .set({
      status: update.status,
      ...(update.reply !== undefined ? { reply: update.reply } : {}),
      finishedAt: isFinal ? (update.now ?? new Date()) : null,
    })
    .where(
      and(
        eq(agentRuns.accountId, owner.accountId),
        eq(agentRuns.userId, owner.userId),
        eq(agentRuns.runId, runId),
      ),
    )
    .returning();
  return row ?? null;
}

/**
 * Finishes as `unconfirmed` the record of a session run still `started` (a no-op for any other run):
 * for a run whose request ended between its start and the record of the agent's answer (a crash, the
 * database lost), which the sweeper settles. Without it the record says `started` for good, and every
 * retry of the run id is told it is in progress. True when a record was finished.
 */
export async function finishStartedRunUnconfirmed(
  db: Database,
  ref: { accountId: string; runId: string },
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(agentRuns)
    .set({ status: 'unconfirmed', finishedAt: now })
    .where(
      and(
        eq(agentRuns.accountId, ref.accountId),
        eq(agentRuns.runId, ref.runId),
        eq(agentRuns.status, 'started'),
      ),
    )
    .returning({ id: agentRuns.id });
  return rows.length > 0;
}

/** Oldest first (conversation order); empty for another tenant's session. */
export async function listRuns(db: Database, owner: SessionOwner, sessionId: string): Promise<AgentRunRow[]> {
  if (!isUuid(sessionId)) return [];
  return db
    .select()
    .from(agentRuns)
    .where(
      and(
        eq(agentRuns.accountId, owner.accountId),
        eq(agentRuns.userId, owner.userId),
        eq(agentRuns.sessionId, sessionId),
      ),
    )
    .orderBy(asc(agentRuns.createdAt), asc(agentRuns.id));
}
