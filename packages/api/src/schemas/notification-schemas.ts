import { z } from 'zod';
import { isoDateTime } from './wire-date';

export const notificationSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  link: z.string().nullable(),
  accountId: z.string().nullable(),
  createdAt: isoDateTime,
  readAt: isoDateTime.nullable(),
});

export const notificationListSchema = z.object({
  items: z.array(notificationSchema),
  unreadCount: z.number().int(),
  nextCursor: z.string().nullable(),
});

export const unreadCountSchema = z.object({ unreadCount: z.number().int() });

const channelsSchema = z.object({ email: z.boolean(), inApp: z.boolean() });

export const notificationPreferencesSchema = z.object({
  usageAlerts: channelsSchema,
  reminders: channelsSchema,
});

export const usageAlertSettingsSchema = z.object({
  percents: z.array(z.number().int()),
  runsRemaining: z.number().int().nullable(),
});
