import { personalAccountId, type SessionOwner } from '@tollgate/db';
import type { AccountKind } from '@tollgate/domain';

/**
 * Who a call acts for: the billing account whose pool pays, and the member the call runs as (recorded
 * on the ledger, owner of its sessions); `kind` says whether runs also count on the member's own
 * counter (team accounts).
 */
export interface Tenant extends SessionOwner {
  kind: AccountKind;
}

/** The user's own account: what a call naming no account acts on. */
export function personalTenant(userId: string): Tenant {
  return { accountId: personalAccountId(userId), userId, kind: 'personal' };
}
