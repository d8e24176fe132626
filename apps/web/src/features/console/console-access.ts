import type { PlatformRole } from '../auth/auth.api';

export type StaffRole = NonNullable<PlatformRole>;

export type ConsoleAction =
  | 'grantRuns'
  | 'revokeGrant'
  | 'setRunLimit'
  | 'spendCap'
  | 'comp'
  | 'trial'
  | 'enterpriseDeal'
  | 'resync'
  | 'cancel';

/** The most runs support may grant at a time (admin.grantCredits refuses more); operators' bound is the input's. */
export const SUPPORT_GRANT_MAX_UNITS = 1_000;
export const OPERATOR_GRANT_MAX_UNITS = 10_000_000;

// Support reads everything and helps a customer through a trial or with a few runs; the rest changes
// money or Stripe, which operators alone do. Mirrors the server's procedure tiers, which decide.
const SUPPORT_ACTIONS: ReadonlySet<ConsoleAction> = new Set(['grantRuns', 'trial']);

export function isStaff(role: PlatformRole): role is StaffRole {
  return role === 'operator' || role === 'support';
}

/** Whether the console offers the action at all: hidden, not disabled, when the role can't do it. */
export function canPerform(role: PlatformRole, action: ConsoleAction): boolean {
  if (role === 'operator') return true;
  return role === 'support' && SUPPORT_ACTIONS.has(action);
}

export function maxGrantUnits(role: StaffRole): number {
  return role === 'operator' ? OPERATOR_GRANT_MAX_UNITS : SUPPORT_GRANT_MAX_UNITS;
}
