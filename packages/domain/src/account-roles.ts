import { z } from 'zod';

/**
 * A billing account is the tenant: a user's personal account (created for every user, never shared)
 * or a team account (members share one subscription and one pool of runs).
 */
export const ACCOUNT_KINDS = ['personal', 'team'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];
export const accountKindSchema = /* @__PURE__ */ z.enum(ACCOUNT_KINDS);

/** A member's role inside one account. The role lives on the membership row, never in a token. */
export const ACCOUNT_ROLES = ['owner', 'admin', 'member'] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];
export const accountRoleSchema = /* @__PURE__ */ z.enum(ACCOUNT_ROLES);

/** What a member may try to do inside an account; each is checked with `can` before the act. */
export const ACCOUNT_ACTIONS = [
  /** Run agents and use one's own sessions. */
  'run_agents',
  /** See the account's subscription and usage (per member included): usage is shared, so is its view. */
  'view_billing',
  /** Checkout, Customer Portal, invoices, start the trial: acts that spend the account's money. */
  'manage_billing',
  /** Invite, revoke invitations, remove members, set caps. Admins only on `member`s: canManageMember. */
  'manage_members',
  /** Change roles, add or transfer an owner: only an owner can make (or unmake) someone's power. */
  'manage_roles',
  /** Create and revoke the account's API keys: a key acts for the whole account. */
  'manage_api_keys',
  /** Leave the account. Everyone may, but not the last owner: that needs the owner count (LAST_OWNER). */
  'leave',
] as const;
export type AccountAction = (typeof ACCOUNT_ACTIONS)[number];

/**
 * THE permission table (design §4.2, copied in the README). One row per action, one column per role,
 * so a review reads it as the table it is; `satisfies` makes a missing cell a compile error.
 */
const PERMISSIONS = {
  run_agents: { owner: true, admin: true, member: true },
  view_billing: { owner: true, admin: true, member: true },
  manage_billing: { owner: true, admin: true, member: false },
  manage_members: { owner: true, admin: true, member: false },
  manage_roles: { owner: true, admin: false, member: false },
  manage_api_keys: { owner: true, admin: true, member: false },
  leave: { owner: true, admin: true, member: true },
} as const satisfies Record<AccountAction, Record<AccountRole, boolean>>;

/** May a member with `role` perform `action`? Only the role is judged here (see the table above). */
export function can(role: AccountRole, action: AccountAction): boolean {
  return PERMISSIONS[action][role];
}

/**
 * May `actorRole` act on a member whose role is `targetRole` (remove them, set their cap, revoke their
 * invitation)? An owner on anyone; an admin only on plain members, so an admin can't remove another
 * admin or an owner (that would be a role change by other means); a member on nobody.
 */
export function canManageMember(actorRole: AccountRole, targetRole: AccountRole): boolean {
  if (!can(actorRole, 'manage_members')) return false;
  if (actorRole === 'owner') return true;
  return targetRole === 'member';
}
