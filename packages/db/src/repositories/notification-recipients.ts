import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../database';
import { accountMemberships, notificationPreferences, users } from '../schema';
import type { NotificationPreferencesRow } from '../schema';

export type NotificationPreferences = Pick<
  NotificationPreferencesRow,
  'usageAlertsEmail' | 'usageAlertsInApp' | 'remindersEmail' | 'remindersInApp'
>;

export const DEFAULT_NOTIFICATION_PREFERENCES: NotificationPreferences = {
  usageAlertsEmail: true,
  usageAlertsInApp: true,
  remindersEmail: true,
  remindersInApp: true,
};

export interface NotificationRecipient {
  userId: string;
  /** Null for a host platform's user whose token carried no email: in-app only. */
  email: string | null;
  preferences: NotificationPreferences;
}

/** The people billing news goes to: the account's owners and admins, with their preferences. */
export async function billingRecipients(db: Database, accountId: string): Promise<NotificationRecipient[]> {
  const rows = await db
    .select({
      userId: users.id,
      email: users.email,
      usageAlertsEmail: notificationPreferences.usageAlertsEmail,
      usageAlertsInApp: notificationPreferences.usageAlertsInApp,
      remindersEmail: notificationPreferences.remindersEmail,
      remindersInApp: notificationPreferences.remindersInApp,
    })
    .from(accountMemberships)
    .innerJoin(users, eq(users.id, accountMemberships.userId))
    .leftJoin(notificationPreferences, eq(notificationPreferences.userId, users.id))
    .where(
      and(eq(accountMemberships.accountId, accountId), inArray(accountMemberships.role, ['owner', 'admin'])),
    )
    .orderBy(users.id);
  return rows.map(({ userId, email, ...preferences }) => ({
    userId,
    email,
    preferences: withDefaults(preferences),
  }));
}

export async function userRecipient(db: Database, userId: string): Promise<NotificationRecipient | null> {
  const [row] = await db
    .select({
      userId: users.id,
      email: users.email,
      usageAlertsEmail: notificationPreferences.usageAlertsEmail,
      usageAlertsInApp: notificationPreferences.usageAlertsInApp,
      remindersEmail: notificationPreferences.remindersEmail,
      remindersInApp: notificationPreferences.remindersInApp,
    })
    .from(users)
    .leftJoin(notificationPreferences, eq(notificationPreferences.userId, users.id))
    .where(eq(users.id, userId))
    .limit(1);
  if (!row) return null;
  const { email, ...preferences } = row;
  return { userId, email, preferences: withDefaults(preferences) };
}

export async function getNotificationPreferences(
  db: Database,
  userId: string,
): Promise<NotificationPreferences> {
  return (await userRecipient(db, userId))?.preferences ?? DEFAULT_NOTIFICATION_PREFERENCES;
}

export async function setNotificationPreferences(
  db: Database,
  userId: string,
  changes: Partial<NotificationPreferences>,
  now: Date,
): Promise<NotificationPreferences> {
  const current = await getNotificationPreferences(db, userId);
  const next = { ...current, ...changes };
  await db
    .insert(notificationPreferences)
    .values({ userId, ...next, updatedAt: now })
    .onConflictDoUpdate({ target: notificationPreferences.userId, set: { ...changes, updatedAt: now } });
  return next;
}

function withDefaults(row: {
  [K in keyof NotificationPreferences]: boolean | null;
}): NotificationPreferences {
  return {
    usageAlertsEmail: row.usageAlertsEmail ?? true,
    usageAlertsInApp: row.usageAlertsInApp ?? true,
    remindersEmail: row.remindersEmail ?? true,
    remindersInApp: row.remindersInApp ?? true,
  };
}
