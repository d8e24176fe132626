import { ACCOUNT_KINDS, ACCOUNT_ROLES, planIdSchema } from '@tollgate/domain';
import { z } from 'zod';
import { isoDateTime } from './wire-date';

// Billing accounts (teams): what accounts.*, members and invitations answer.

export const accountSummarySchema = z.object({
  id: z.uuid(),
  kind: z.enum(ACCOUNT_KINDS).describe('`personal`: every user has one; `team`: shared by its members'),
  name: z.string().nullable(),
  role: z.enum(ACCOUNT_ROLES).describe("The caller's role in the account"),
  plan: planIdSchema,
  createdAt: isoDateTime,
});
export type AccountSummary = z.input<typeof accountSummarySchema>;
export const accountSummariesSchema = z.array(accountSummarySchema);

export const accountMemberSchema = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  role: z.enum(ACCOUNT_ROLES),
  monthlyRunCap: z.number().int().nullable().describe('Runs this member may use per period (null: no cap)'),
  usedThisPeriod: z.number().int().describe("The member's runs in the period in force"),
  joinedAt: isoDateTime,
});
export type AccountMember = z.input<typeof accountMemberSchema>;
export const accountMembersSchema = z.array(accountMemberSchema);

export const invitationSchema = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  email: z.string(),
  role: z.enum(['admin', 'member']),
  createdAt: isoDateTime,
  expiresAt: isoDateTime,
});
export type InvitationView = z.input<typeof invitationSchema>;
export const invitationsSchema = z.array(invitationSchema);

export const createdInvitationSchema = invitationSchema.extend({
  token: z.string().describe('Single use; shown once'),
  url: z.string().describe('The link to send: opens the web app, which accepts it for the signed-in user'),
});
export type CreatedInvitation = z.input<typeof createdInvitationSchema>;

export const leftAccountSchema = z.object({ accountId: z.uuid(), left: z.literal(true) });
export const revokedInvitationSchema = z.object({ id: z.uuid(), revoked: z.literal(true) });
