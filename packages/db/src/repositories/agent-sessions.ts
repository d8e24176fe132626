import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../database';
import { isUuid } from '../ids';
import { agentSessions } from '../schema';
import type { AgentSessionRow } from '../schema';

// Tenant isolation lives here: every query filters by the owner, so another tenant's id matches nothing.

export async function createSession(
  db: Database,
  userId: string,
  title: string,
  now: Date = new Date(),
): Promise<AgentSessionRow> {
  const [row] = await db
    .insert(agentSessions)
    .values({ userId, title, createdAt: now, updatedAt: now })
    .returning();
  if (!row) throw new Error('createSession: insert returned no row');
  return row;
}

/** Newest first. */
export async function listSessions(db: Database, userId: string): Promise<AgentSessionRow[]> {
  return db
    .select()
    .from(agentSessions)
    .where(and(eq(agentSessions.userId, userId), isNull(agentSessions.deletedAt)))
    .orderBy(desc(agentSessions.createdAt), desc(agentSessions.id));
}

export async function getSession(db: Database, userId: string, id: string): Promise<AgentSessionRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await db
    .select()
    .from(agentSessions)
    .where(and(eq(agentSessions.id, id), eq(agentSessions.userId, userId), isNull(agentSessions.deletedAt)))
    .limit(1);
  return row ?? null;
}

/**
 * Hides the session from its owner. Nothing is removed: its runs and their ledger rows stay, so a run
 * id is never free to use again (deleting must not turn a paid run into a free replay).
 */
export async function deleteSession(
  db: Database,
  userId: string,
  id: string,
  now: Date = new Date(),
): Promise<boolean> {
  if (!isUuid(id)) return false;
  const deleted = await db
    .update(agentSessions)
    .set({ deletedAt: now })
    .where(and(eq(agentSessions.id, id), eq(agentSessions.userId, userId), isNull(agentSessions.deletedAt)))
    .returning({ id: agentSessions.id });
  return deleted.length > 0;
}
