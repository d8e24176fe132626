import {
  PG_FOREIGN_KEY_VIOLATION,
  pgErrorCode,
  countUnreadNotifications,
  getNotificationPreferences,
  listNotifications,
  markNotificationsRead,
  setNotificationPreferences,
  setUsageAlertThresholds,
  usageAlertThresholdsOf,
  findNotification,
  type NotificationPreferences,
  type UsageAlertThresholds,
} from '@tollgate/db';
import { AppError } from '@tollgate/domain';
import type { ApiDeps } from '../config';
import { inAppText } from './in-app-text';
import type { OptionalCategory } from './unsubscribe-links';
import type { UsageAlerts } from './usage-alerts';

export interface PreferencesView {
  usageAlerts: { email: boolean; inApp: boolean };
  reminders: { email: boolean; inApp: boolean };
}

function toView(preferences: NotificationPreferences): PreferencesView {
  return {
    usageAlerts: { email: preferences.usageAlertsEmail, inApp: preferences.usageAlertsInApp },
    reminders: { email: preferences.remindersEmail, inApp: preferences.remindersInApp },
  };
}

/** The bell (a user's own notifications), their switches, and an account's usage-alert thresholds. */
export function createNotificationService(deps: ApiDeps, usageAlerts: UsageAlerts) {
  const { db, now } = deps;

  return {
    async list(userId: string, input: { limit: number; before: string | null }) {
      const cursor = input.before ? await findNotification(db, userId, input.before) : null;
      const rows = await listNotifications(db, userId, {
        limit: input.limit + 1,
        before: cursor ? { createdAt: cursor.createdAt, id: cursor.id } : null,
      });
      const page = rows.slice(0, input.limit);
      return {
        items: page.map((row) => ({
          id: row.id,
          kind: row.kind,
          accountId: row.accountId,
          createdAt: row.createdAt,
          readAt: row.readAt,
          ...inAppText(row.kind, row.data),
        })),
        unreadCount: await countUnreadNotifications(db, userId),
        nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
      };
    },

    async markRead(userId: string, ids: string[] | 'all') {
      await markNotificationsRead(db, userId, ids, now());
      return { unreadCount: await countUnreadNotifications(db, userId) };
    },

    async preferences(userId: string): Promise<PreferencesView> {
      return toView(await getNotificationPreferences(db, userId));
    },

    async setPreferences(userId: string, input: Partial<PreferencesView>): Promise<PreferencesView> {
      const changes: Partial<NotificationPreferences> = {
        ...(input.usageAlerts && {
          usageAlertsEmail: input.usageAlerts.email,
          usageAlertsInApp: input.usageAlerts.inApp,
        }),
        ...(input.reminders && {
          remindersEmail: input.reminders.email,
          remindersInApp: input.reminders.inApp,
        }),
      };
      try {
        return toView(await setNotificationPreferences(db, userId, changes, now()));
      } catch (error) {
        // A token of ours naming a user that has no row (deleted since it was signed): not a 500.
        if (pgErrorCode(error) === PG_FOREIGN_KEY_VIOLATION) {
          throw new AppError('UNAUTHORIZED', 'This user no longer exists: sign in again');
        }
        throw error;
      }
    },

    /**
     * A one-click unsubscribe: that category's email off, its in-app notices as they were. False when
     * the user has no row (a link signed for a user since gone).
     */
    async unsubscribeEmail(userId: string, category: OptionalCategory): Promise<boolean> {
      const change = category === 'usage_alerts' ? { usageAlertsEmail: false } : { remindersEmail: false };
      try {
        await setNotificationPreferences(db, userId, change, now());
        return true;
      } catch (error) {
        if (pgErrorCode(error) === PG_FOREIGN_KEY_VIOLATION) return false;
        throw error;
      }
    },

    alertSettings(accountId: string): Promise<UsageAlertThresholds> {
      return usageAlertThresholdsOf(db, accountId);
    },

    async setAlertSettings(accountId: string, thresholds: UsageAlertThresholds) {
      const sorted = { ...thresholds, percents: [...new Set(thresholds.percents)].sort((a, b) => a - b) };
      const saved = await setUsageAlertThresholds(db, accountId, sorted, now());
      usageAlerts.forget(accountId);
      return saved;
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
