import {
  findAccount,
  getSubscriptionState,
  listAudit,
  type Database,
  type PlatformRole,
  listDuplicateSubscriptions,
  listFailedEvents,
  listSubscriptionsWithUnknownPrice,
} from '@tollgate/db';
import { CHECKOUT_PLAN_IDS, MS_PER_DAY, checkoutPlansFor, getPlan } from '@tollgate/domain';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { DEFAULT_SUPPORT_GRANT_MAX_UNITS } from '../config';
import { z } from 'zod';
import { spendCapSchema } from '../schemas/spend-schemas';
import {
  duplicateSubscriptionSchema,
  failedWebhookSchema,
  reconcileReportSchema,
  unknownPriceSubscriptionSchema,
  webhookOutcomeSchema,
} from '../schemas/admin-schemas';
import { creditGrantViewSchema } from '../schemas/balance-schemas';
import { accountOverridesSchema, auditRowSchema } from '../schemas/override-schemas';
import { reconcileAudited, replayWebhookAudited } from '../services/console-service';
import { operatorProcedure, staffProcedure } from '../trpc';
import { optionalStaffReasonSchema, staffReasonSchema, storableText } from './inputs';

/**
 * Why an operator replays or reconciles: optional (callers before the audit log sent none), stored in
 * the audit row ("" when absent).
 */

/** The longest trial an operator or support may set. */
const MAX_TRIAL_DAYS = 90;

/** The most runs one support user hands out in a rolling day (grants and fresh trials together). */
function supportGrantLimit(ctx: { deps: { config: { supportGrantMaxUnits?: number } } }): number {
  return ctx.deps.config.supportGrantMaxUnits ?? DEFAULT_SUPPORT_GRANT_MAX_UNITS;
}

function staffOf(ctx: { user: { userId: string }; platformRole: PlatformRole; requestId: string }) {
  return { userId: ctx.user.userId, role: ctx.platformRole, requestId: ctx.requestId };
}

async function requireAccount(db: Database, accountId: string) {
  const account = await findAccount(db, accountId);
  if (!account) throw new TRPCError({ code: 'NOT_FOUND', message: `No account ${accountId}` });
  return account;
}

export const adminRouter = {
  /**
   * Grants runs to an account (support credit, a goodwill gesture): spent after the plan's allowance,
   * by priority (smaller first; packs are 100), soonest expiry, oldest. Takes effect on the next
   * authorization. `expiresAt` null: never expires. The reason is stored with the grant. Send an
   * `idempotencyKey` (the console makes one per dialog) so a retry answers the first grant instead of
   * granting again; without one, every call is a new grant.
   */
  grantCredits: staffProcedure
    .input(
      z.object({
        accountId: z.uuid(),
        units: z.number().int().min(1).max(10_000_000),
        expiresAt: z.iso.datetime().nullable(),
        priority: z.number().int().min(0).max(1000).optional(),
        reason: staffReasonSchema,
        idempotencyKey: storableText({ min: 8, max: 100 }).optional(),
      }),
    )
    .output(creditGrantViewSchema)
    .mutation(async ({ ctx, input }) => {
      // Support grants runs too, up to a bound a day (a bound per grant would bound nothing); only
      // operators grant more.
      await requireAccount(ctx.deps.db, input.accountId);
      return ctx.services.credits.grantCredits({
        ...input,
        expiresAt: input.expiresAt === null ? null : new Date(input.expiresAt),
        grantedBy: ctx.user.userId,
        grantedAs: { role: ctx.platformRole, requestId: ctx.requestId },
        ...(ctx.platformRole === 'support' ? { dailyLimit: supportGrantLimit(ctx) } : {}),
      });
    }),
  /**
   * A custom run limit per period (an ENTERPRISE deal's, or a gesture), kept apart from what Stripe
   * says and applied on top of it; null returns to the plan's. Takes effect on the next authorization;
   * one audit row with the reason.
   */
  setRunLimit: operatorProcedure
    .input(
      z.object({
        accountId: z.uuid(),
        runLimit: z.number().int().min(0).max(10_000_000).nullable(),
        reason: staffReasonSchema,
      }),
    )
    .output(accountOverridesSchema)
    .mutation(async ({ ctx, input }) =>
      ctx.services.overrides.change(staffOf(ctx), {
        accountId: input.accountId,
        action: 'set_run_limit',
        change: { runLimit: input.runLimit },
        reason: input.reason,
      }),
    ),
  /**
   * Comps an account: a paid plan for free from now until `until` (monthly periods of its own); null
   * ends a comp. The plan must be one the account's kind can have.
   */
  compAccount: operatorProcedure
    .input(
      z.object({
        accountId: z.uuid(),
        plan: z.enum(CHECKOUT_PLAN_IDS),
        until: z.iso.datetime().nullable(),
        reason: staffReasonSchema,
      }),
    )
    .output(accountOverridesSchema)
    .mutation(async ({ ctx, input }) => {
      const account = await requireAccount(ctx.deps.db, input.accountId);
      const at = ctx.deps.now();
      const until = input.until === null ? null : new Date(input.until);
      if (until && until.getTime() <= at.getTime()) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'until must be in the future' });
      }
      if (until && !checkoutPlansFor(account.kind).includes(input.plan)) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `A ${account.kind} account can't have ${input.plan}`,
        });
      }
      return ctx.services.overrides.change(staffOf(ctx), {
        accountId: input.accountId,
        action: until ? 'comp' : 'end_comp',
        change: { comp: until ? { plan: input.plan, from: at, until } : null },
        reason: input.reason,
      });
    }),
  /**
   * Extends an account's trial to `until`, or restarts one from now (support too): TRIAL's runs inside
   * the window, for an account without a paid plan. At most 90 days from its start.
   */
  setTrial: staffProcedure
    .input(
      z.object({
        accountId: z.uuid(),
        mode: z.enum(['extend', 'restart']),
        until: z.iso.datetime(),
        reason: staffReasonSchema,
      }),
    )
    .output(accountOverridesSchema)
    .mutation(async ({ ctx, input }) => {
      await requireAccount(ctx.deps.db, input.accountId);
      const at = ctx.deps.now();
      const state = await getSubscriptionState(ctx.deps.db, input.accountId);
      const currentStart = state?.overrides?.trialStart ?? state?.trialStart ?? null;
      const start = input.mode === 'restart' || currentStart === null ? at : currentStart;
      const end = new Date(input.until);
      if (end.getTime() <= at.getTime()) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'until must be in the future' });
      }
      if (end.getTime() - start.getTime() > MAX_TRIAL_DAYS * MS_PER_DAY) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: `A trial lasts at most ${MAX_TRIAL_DAYS} days` });
      }
      // Runs handed out: a new window (a fresh TRIAL allowance), or an ended window opened again (its
      // unused runs spendable again). Support's count against its daily bound, like a grant, or support
      // could give a customer 50 more runs any number of times.
      const currentEnd = state?.overrides?.trialEnd ?? state?.trialEnd ?? null;
      const isReopened = currentEnd === null || currentEnd.getTime() <= at.getTime();
      const handsOutRuns = start.getTime() === at.getTime() || isReopened;
      return ctx.services.overrides.change(staffOf(ctx), {
        accountId: input.accountId,
        action: input.mode === 'restart' ? 'restart_trial' : 'extend_trial',
        change: { trial: { start, end } },
        reason: input.reason,
        ...(ctx.platformRole === 'support' && handsOutRuns
          ? { supportBound: { units: getPlan('TRIAL').runLimit ?? 0, limit: supportGrantLimit(ctx) } }
          : {}),
      });
    }),
  /** The audit log, newest first: of one account, actor or action (staff read everything). */
  auditLog: staffProcedure
    .input(
      z
        .object({
          accountId: z.uuid().optional(),
          actorUserId: storableText({ min: 1, max: 200 }).optional(),
          action: storableText({ min: 1, max: 100 }).optional(),
          limit: z.number().int().min(1).max(1000).optional(),
          beforeId: z.number().int().min(1).optional(),
        })
        .default({}),
    )
    .output(z.array(auditRowSchema))
    .query(({ ctx, input }) => listAudit(ctx.deps.db, input)),
  /**
   * An operator's monthly spend cap on an account's overage (money or runs; null removes it). The
   * stricter of it and the account's own cap wins; it takes effect on the next authorization.
   */
  setSpendCap: operatorProcedure
    .input(
      z.object({
        accountId: z.uuid(),
        cap: spendCapSchema.nullable(),
        reason: staffReasonSchema,
      }),
    )
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      if (!(await findAccount(ctx.deps.db, input.accountId))) {
        throw new TRPCError({ code: 'NOT_FOUND', message: `No account ${input.accountId}` });
      }
      await ctx.services.spend.setOperatorCap(input.accountId, input.cap, {
        ...staffOf(ctx),
        reason: input.reason,
      });
      return { ok: true as const };
    }),
  /** Subscriptions on a Stripe price Tollgate doesn't know: their plan was kept; someone must decide. */
  unknownPrices: operatorProcedure
    .input(z.void())
    .output(z.array(unknownPriceSubscriptionSchema))
    .query(({ ctx }) => listSubscriptionsWithUnknownPrice(ctx.deps.db)),
  /**
   * Stripe webhooks that can never be applied as delivered (object missing at Stripe, a shape Tollgate
   * can't read, no account owns it): answered 200 so Stripe stopped retrying, listed here with the
   * reason, newest first, until a replay succeeds.
   */
  failedWebhooks: operatorProcedure
    .input(z.void())
    .output(z.array(failedWebhookSchema))
    .query(({ ctx }) => listFailedEvents(ctx.deps.db)),
  /**
   * Applies a failed webhook again once its cause is fixed: re-fetched from Stripe (events.retrieve)
   * and processed like a delivery. Answers the outcome (`processed`, `ignored`, `duplicate` when it
   * was applied meanwhile, or `failed` again with the new reason).
   */
  replayWebhook: operatorProcedure
    // A Stripe event id (`evt_…`): anything else can't name an event, and a lone surrogate would make the
    // Stripe client's URL encoding throw (a 500) instead of a 400.
    .input(
      z.object({
        eventId: z
          .string()
          .min(1)
          .max(255)
          .regex(/^[A-Za-z0-9_]+$/, 'must be a Stripe event id (evt_…)'),
        reason: optionalStaffReasonSchema,
      }),
    )
    .output(webhookOutcomeSchema)
    // One audit row, written after the replay (it calls Stripe: no transaction spans it).
    .mutation(({ ctx, input }) =>
      replayWebhookAudited(ctx, staffOf(ctx), { eventId: input.eventId, reason: input.reason ?? '' }),
    ),
  /**
   * Second live subscriptions (two Checkout sessions both paid): the one canceled at Stripe, what the
   * customer paid for it (to refund), and a cancellation still to do (canceledAt null, lastError).
   */
  duplicateSubscriptions: operatorProcedure
    .input(z.void())
    .output(z.array(duplicateSubscriptionSchema))
    .query(({ ctx }) => listDuplicateSubscriptions(ctx.deps.db)),
  /** Re-fetches every linked subscription from Stripe now and reports what it corrected. */
  reconcile: operatorProcedure
    .input(z.object({ reason: optionalStaffReasonSchema }).optional())
    .output(reconcileReportSchema)
    // One audit row with the report, written after the pass.
    .mutation(({ ctx, input }) => reconcileAudited(ctx, staffOf(ctx), { reason: input?.reason ?? '' })),
} satisfies TRPCRouterRecord;
