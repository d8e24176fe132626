import { toTollgateError } from '@tollgate/sdk';
import type { Api } from '../../lib/api';

/** notifications.list items as they cross the wire (dates are ISO strings). */
export interface NotificationItem {
  id: string;
  kind: string;
  title: string;
  body: string;
  /** Where the notification leads; only in-app paths are ever followed (see isInAppPath). */
  link: string | null;
  accountId: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface NotificationPage {
  items: NotificationItem[];
  unreadCount: number;
  nextCursor: string | null;
}

export interface ChannelPreference {
  email: boolean;
  inApp: boolean;
}

/** Receipts, payment and security emails are not here: they are always sent. */
export interface NotificationPreferences {
  usageAlerts: ChannelPreference;
  reminders: ChannelPreference;
}

/** A topic is sent whole (both channels); a topic left out stays as it is. */
export type NotificationPreferencesUpdate = Partial<NotificationPreferences>;

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toTollgateError(error);
  }
}

/** notifications.*: the signed-in user's own, whichever account is active. */
export function createNotificationsApi({ client }: Api) {
  const { notifications } = client.trpc;
  return {
    list: (input: { limit?: number; before?: string } = {}): Promise<NotificationPage> =>
      call(notifications.list.query(input)),
    markRead: (ids: string[]): Promise<{ unreadCount: number }> =>
      call(notifications.markRead.mutate({ ids })),
    markAllRead: (): Promise<{ unreadCount: number }> => call(notifications.markAllRead.mutate()),
    preferences: (): Promise<NotificationPreferences> => call(notifications.preferences.query()),
    setPreferences: (update: NotificationPreferencesUpdate): Promise<NotificationPreferences> =>
      call(notifications.setPreferences.mutate(update)),
  };
}

export type NotificationsApi = ReturnType<typeof createNotificationsApi>;
