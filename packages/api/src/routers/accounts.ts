import { ACCOUNT_ROLES } from '@tollgate/domain';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { apiKeysSchema, createdApiKeySchema, revokedApiKeySchema } from '../schemas/api-key-schemas';
import {
  accountMembersSchema,
  accountSummariesSchema,
  accountSummarySchema,
  createdInvitationSchema,
  invitationsSchema,
  leftAccountSchema,
  revokedInvitationSchema,
} from '../schemas/team-schemas';
import { accountMemberProcedure, protectedProcedure } from '../trpc';
import { emailSchema, newApiKeyInput, storableText, userIdSchema, uuidSchema } from './inputs';

const membersSchema = accountMembersSchema;
const memberInput = z.object({ userId: userIdSchema });

/**
 * Billing accounts: a user's own (personal) account and the team accounts it belongs to, their
 * members, roles, caps and invitations. Who may do what is the domain's account-roles table.
 */
export const accountsRouter = {
  /** The caller's accounts: its personal account first, then its teams. */
  list: protectedProcedure
    .output(accountSummariesSchema)
    .query(({ ctx }) => ctx.services.billingAccounts.list(ctx.user.userId, ctx.user.hostAccountId ?? null)),
  /** A new team account owned by the caller (no runs until it has a paid plan); rate-limited. */
  create: protectedProcedure
    .input(z.object({ name: storableText({ min: 1, max: 100, isTrimmed: true }) }))
    .output(accountSummarySchema)
    .mutation(({ ctx, input }) => ctx.services.billingAccounts.create(ctx.user.userId, input.name)),
  get: accountMemberProcedure('view_billing')
    .output(accountSummarySchema)
    .query(({ ctx }) => ctx.services.billingAccounts.get(ctx.account)),
  members: accountMemberProcedure('view_billing')
    .output(membersSchema)
    .query(({ ctx }) => ctx.services.billingAccounts.members(ctx.account)),
  setRole: accountMemberProcedure('manage_roles')
    .input(memberInput.extend({ role: z.enum(ACCOUNT_ROLES) }))
    .output(membersSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.billingAccounts.setRole(ctx.account, input.userId, input.role),
    ),
  setMemberCap: accountMemberProcedure('manage_members')
    .input(memberInput.extend({ monthlyRunCap: z.number().int().min(0).max(1_000_000_000).nullable() }))
    .output(membersSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.billingAccounts.setMemberCap(ctx.account, input.userId, input.monthlyRunCap),
    ),
  removeMember: accountMemberProcedure('manage_members')
    .input(memberInput)
    .output(membersSchema)
    .mutation(({ ctx, input }) => ctx.services.billingAccounts.removeMember(ctx.account, input.userId)),
  leave: accountMemberProcedure('leave')
    .output(leftAccountSchema)
    .mutation(({ ctx }) => ctx.services.billingAccounts.leave(ctx.account)),
  transferOwnership: accountMemberProcedure('manage_roles')
    .input(memberInput)
    .output(membersSchema)
    .mutation(({ ctx, input }) => ctx.services.billingAccounts.transferOwnership(ctx.account, input.userId)),
  /**
   * A single-use invitation link: emailed to the address, and returned to the inviter to share too.
   * The email names the inviter, so it needs the caller's verified address (billing's gate, the same
   * error), checked before anything is counted or written; host-platform users are vouched for.
   */
  invite: accountMemberProcedure('manage_members')
    .input(z.object({ email: emailSchema, role: z.enum(['admin', 'member']).default('member') }))
    .output(createdInvitationSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.emailVerification.requireVerified(ctx.user.userId);
      return ctx.services.billingAccounts.invite(ctx.account, input.email, input.role);
    }),
  invitations: accountMemberProcedure('manage_members')
    .output(invitationsSchema)
    .query(({ ctx }) => ctx.services.billingAccounts.invitations(ctx.account)),
  revokeInvitation: accountMemberProcedure('manage_members')
    .input(z.object({ invitationId: uuidSchema }))
    .output(revokedInvitationSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.billingAccounts.revokeInvitation(ctx.account, input.invitationId),
    ),
  /** Joins the account the link names, as the signed-in user. */
  acceptInvitation: protectedProcedure
    .input(
      z.object({
        accountId: uuidSchema,
        invitationId: uuidSchema,
        token: z.string().min(1).max(200),
      }),
    )
    .output(accountSummarySchema)
    .mutation(({ ctx, input }) => ctx.services.billingAccounts.accept(ctx.user.userId, input)),
  /** A key that acts only for this account (its owners and admins make them); shown once. */
  createApiKey: accountMemberProcedure('manage_api_keys')
    .input(newApiKeyInput)
    .output(createdApiKeySchema)
    .mutation(({ ctx, input }) =>
      ctx.services.apiKeys.create({
        name: input.name,
        scopes: [...new Set(input.scopes)],
        createdByUserId: ctx.user.userId,
        accountId: ctx.tenant.accountId,
      }),
    ),
  apiKeys: accountMemberProcedure('manage_api_keys')
    .output(apiKeysSchema)
    .query(({ ctx }) => ctx.services.apiKeys.list(ctx.tenant.accountId)),
  revokeApiKey: accountMemberProcedure('manage_api_keys')
    .input(z.object({ id: uuidSchema }))
    .output(revokedApiKeySchema)
    .mutation(({ ctx, input }) => ctx.services.apiKeys.revoke(input.id, ctx.tenant.accountId)),
} satisfies TRPCRouterRecord;
