import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../context';
import { loggedOutSchema, meSchema, tokenPairSchema } from '../schemas/account-schemas';
import { protectedProcedure, publicProcedure } from '../trpc';
import { emailSchema, passwordSchema } from './inputs';

const credentialsInput = z.object({ email: emailSchema, password: passwordSchema });
const refreshInput = z.object({ refreshToken: z.string().min(1).max(512) });

function limitAttempts(ctx: Context, route: string) {
  if (!ctx.services.authRateLimiter.hit(`${route}:${ctx.ip}`, ctx.deps.now())) {
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: 'Too many attempts: wait a minute and try again',
    });
  }
}

export const authRouter = {
  register: publicProcedure
    .input(credentialsInput)
    .output(tokenPairSchema)
    .mutation(({ ctx, input }) => {
      limitAttempts(ctx, 'register');
      return ctx.services.accounts.register(input);
    }),
  login: publicProcedure
    .input(credentialsInput)
    .output(tokenPairSchema)
    .mutation(({ ctx, input }) => {
      limitAttempts(ctx, 'login');
      return ctx.services.accounts.login(input);
    }),
  refresh: publicProcedure
    .input(refreshInput)
    .output(tokenPairSchema)
    .mutation(({ ctx, input }) => ctx.services.accounts.refresh(input.refreshToken)),
  logout: publicProcedure
    .input(refreshInput)
    .output(loggedOutSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.accounts.logout(input.refreshToken);
      return { loggedOut: true as const };
    }),
  /** Who is signed in, with their platform role (read from the database, never from the token). */
  me: protectedProcedure
    .input(z.void())
    .output(meSchema)
    .query(({ ctx }) => ctx.services.accounts.me(ctx.user.userId)),
} satisfies TRPCRouterRecord;
