import { and, count, desc, eq, inArray, isNull, lt, or } from 'drizzle-orm';
import type { Database } from '../database';
import { notifications } from '../schema';
import type { NotificationRow } from '../schema';

export interface NewNotification {
  userId: string;
  accountId: string | null;
  kind: string;
  dedupeKey: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** Inserts what isn't there yet (per user and dedupe key); returns how many rows were new. */
export async function insertNotifications(db: Database, rows: NewNotification[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db
    .insert(notifications)
    .values(rows)
    .onConflictDoNothing({ target: [notifications.userId, notifications.dedupeKey] })
    .returning({ id: notifications.id });
  return inserted.length;
}

/** Newest first; `before` is the id of the last row of the previous page. */
export async function listNotifications(
  db: Database,
  userId: string,
  options: { limit: number; before: { createdAt: Date; id: string } | null },
): Promise<NotificationRow[]> {
  const { before } = options;
  const page = before
    ? or(
        lt(notifications.createdAt, before.createdAt),
        and(eq(notifications.createdAt, before.createdAt), lt(notifications.id, before.id)),
      )
    : undefined;
  return db
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, userId), page))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(options.limit);
}

export async function findNotification(
  db: Database,
  userId: string,
  id: string,
): Promise<NotificationRow | null> {
  const [row] = await db
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, userId), eq(notifications.id, id)))
    .limit(1);
  return row ?? null;
}

export async function countUnreadNotifications(db: Database, userId: string): Promise<number> {
  const [row] = await db
    .select({ total: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  return row?.total ?? 0;
}

/** Only the user's own rows: ids of other users' notifications are ignored, never an error. */
export async function markNotificationsRead(
  db: Database,
  userId: string,
  ids: string[] | 'all',
  now: Date,
): Promise<void> {
  const scope = ids === 'all' ? undefined : inArray(notifications.id, ids);
  if (ids !== 'all' && ids.length === 0) return;
  await db
    .update(notifications)
    .set({ readAt: now })
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), scope));
}
