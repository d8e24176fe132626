import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../database';
import { isUuid } from '../ids';
import { agentSessions } from '../schema';
import type { AgentSessionRow } from '../schema';
import type { SessionOwner } from './session-owner';

// Tenant isolation lives here: every query filters by the account and the member, so another tenant's
// (or another member's) id matches nothing.

export async function createSession(
  db: Database,
  owner: SessionOwner,
  title: string,
  now: Date = new Date(),
): Promise<AgentSessionRow> {
  const [row] = await db
    .insert(agentSessions)
    .values({ accountId: owner.accountId, userId: owner.userId, title, createdAt: now, updatedAt: now })
    .returning();
  if (!row) throw new Error('createSession: insert returned no row');
  return row;
}

/** Newest first. */
export async function listSessions(db: Database, owner: SessionOwner): Promise<AgentSessionRow[]> {
  return db
    .select()
    .from(agentSessions)
    .where(
      and(
        eq(agentSessions.accountId, owner.accountId),
        eq(agentSessions.userId, owner.userId),
        isNull(agentSessions.deletedAt),
      ),
    )
    .orderBy(desc(agentSessions.createdAt), desc(agentSessions.id));
}

export async function getSession(
  db: Database,
  owner: SessionOwner,
  id: string,
): Promise<AgentSessionRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await db
    .select()
    .from(agentSessions)
    .where(
      and(
        eq(agentSessions.id, id),
        eq(agentSessions.accountId, owner.accountId),
        eq(agentSessions.userId, owner.userId),
        isNull(agentSessions.deletedAt),
      ),
    )
    .limit(1);
  return row ?? null;
}

/**
 * Hides the session from its owner. Nothing is removed: its runs and their ledger rows stay, so a run
 * id is never free to use again (deleting must not turn a paid run into a free replay).
 */
export async function deleteSession(
  db: Database,
  owner: SessionOwner,
  id: string,
  now: Date = new Date(),
): Promise<boolean> {
  if (!isUuid(id)) return false;
  const deleted = await db
    .update(agentSessions)
    .set({ deletedAt: now })
    .where(
      and(
        eq(agentSessions.id, id),
        eq(agentSessions.accountId, owner.accountId),
        eq(agentSessions.userId, owner.userId),
        isNull(agentSessions.deletedAt),
      ),
    )
    .returning({ id: agentSessions.id });
  return deleted.length > 0;
}
