import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import {
  notificationListSchema,
  notificationPreferencesSchema,
  unreadCountSchema,
} from '../schemas/notification-schemas';
import { protectedProcedure } from '../trpc';

const channelsInput = z.object({ email: z.boolean(), inApp: z.boolean() });

/** The signed-in user's own notifications (the bell) and their switches: never anyone else's. */
export const notificationsRouter = {
  list: protectedProcedure
    .input(
      z
        .object({
          limit: z.number().int().min(1).max(50).default(20),
          before: z.uuid().optional(),
        })
        .default({ limit: 20 }),
    )
    .output(notificationListSchema)
    .query(({ ctx, input }) =>
      ctx.services.notifications.list(ctx.user.userId, { limit: input.limit, before: input.before ?? null }),
    ),
  markRead: protectedProcedure
    .input(z.object({ ids: z.array(z.uuid()).min(1).max(100) }))
    .output(unreadCountSchema)
    .mutation(({ ctx, input }) => ctx.services.notifications.markRead(ctx.user.userId, input.ids)),
  markAllRead: protectedProcedure
    .input(z.void())
    .output(unreadCountSchema)
    .mutation(({ ctx }) => ctx.services.notifications.markRead(ctx.user.userId, 'all')),
  preferences: protectedProcedure
    .input(z.void())
    .output(notificationPreferencesSchema)
    .query(({ ctx }) => ctx.services.notifications.preferences(ctx.user.userId)),
  setPreferences: protectedProcedure
    .input(z.object({ usageAlerts: channelsInput.optional(), reminders: channelsInput.optional() }))
    .output(notificationPreferencesSchema)
    .mutation(({ ctx, input }) => ctx.services.notifications.setPreferences(ctx.user.userId, input)),
} satisfies TRPCRouterRecord;
