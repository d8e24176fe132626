import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Context } from '../context';
import {
  emailVerifiedSchema,
  loggedOutSchema,
  meSchema,
  passwordResetAcceptedSchema,
  passwordResetDoneSchema,
  tokenPairSchema,
  verificationSentSchema,
} from '../schemas/account-schemas';
import { protectedProcedure, publicProcedure } from '../trpc';
import { emailSchema, passwordSchema } from './inputs';

const credentialsInput = z.object({ email: emailSchema, password: passwordSchema });
const refreshInput = z.object({ refreshToken: z.string().min(1).max(512) });
/** An emailed link's token (43 base64url characters; a little slack, never kilobytes). */
const emailTokenSchema = z
  .string()
  .min(1, 'token is required')
  .max(128, 'token is at most 128 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'token is the text after #token= in the link');

async function limitAttempts(ctx: Context, route: string) {
  if (!(await ctx.services.authRateLimiter.hit(`${route}:${ctx.ip}`, ctx.deps.now()))) {
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
    .mutation(async ({ ctx, input }) => {
      await limitAttempts(ctx, 'register');
      return ctx.services.accounts.register(input);
    }),
  login: publicProcedure
    .input(credentialsInput)
    .output(tokenPairSchema)
    .mutation(async ({ ctx, input }) => {
      await limitAttempts(ctx, 'login');
      return ctx.services.accounts.login(input, ctx.ip);
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
  /**
   * Sends a new verification link (older unexpired links keep working). Limited per user in the
   * database: one per minute, five per day (the sign-up email included) → 429 with Retry-After.
   */
  resendVerification: protectedProcedure
    .input(z.void())
    .output(verificationSentSchema)
    .mutation(({ ctx }) => ctx.services.emailVerification.resend(ctx.user.userId)),
  verifyEmail: publicProcedure
    .input(z.object({ token: emailTokenSchema }))
    .output(emailVerifiedSchema)
    .mutation(({ ctx, input }) => ctx.services.emailVerification.verify(input.token)),
  /** Always `{ accepted: true }`, whether or not the address has an account. */
  requestPasswordReset: publicProcedure
    .input(z.object({ email: emailSchema }))
    .output(passwordResetAcceptedSchema)
    .mutation(async ({ ctx, input }) => {
      await limitAttempts(ctx, 'password-reset');
      return ctx.services.passwordReset.request(input.email);
    }),
  resetPassword: publicProcedure
    .input(z.object({ token: emailTokenSchema, password: passwordSchema }))
    .output(passwordResetDoneSchema)
    .mutation(async ({ ctx, input }) => {
      await limitAttempts(ctx, 'password-reset-confirm');
      return ctx.services.passwordReset.reset(input, ctx.ip);
    }),
} satisfies TRPCRouterRecord;
