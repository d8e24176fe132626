import { can, canManageMember, type AccountRole } from '@tollgate/domain';
import { and, eq, inArray, isNull, lte } from 'drizzle-orm';
import type { Database } from '../database';
import { accountInvitations, apiKeys, INVITATION_ROLES } from '../schema';

/**
 * What a member handed out for an account works only while the member could still hand it out. Removed
 * (role null): every API key they made for the account and every invitation they sent and is still
 * pending are revoked. Demoted: the keys when the new role can't manage keys, the invitations granting
 * a role it can't manage. Otherwise a removed admin keeps acting for the team through a key of theirs,
 * or comes back through a link they sent. Runs in the membership change's transaction.
 */
export async function revokeGrantsBeyondRole(
  tx: Database,
  input: { accountId: string; userId: string; role: AccountRole | null; now: Date },
): Promise<void> {
  const { accountId, userId, role, now } = input;
  if (role === null || !can(role, 'manage_api_keys')) {
    await tx
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(
        and(eq(apiKeys.accountId, accountId), eq(apiKeys.createdByUserId, userId), isNull(apiKeys.revokedAt)),
      );
  }
  const lost = INVITATION_ROLES.filter((invited) => role === null || !canManageMember(role, invited));
  if (lost.length === 0) return;
  await tx
    .update(accountInvitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(accountInvitations.accountId, accountId),
        eq(accountInvitations.invitedByUserId, userId),
        inArray(accountInvitations.role, lost),
        isNull(accountInvitations.acceptedAt),
        isNull(accountInvitations.revokedAt),
      ),
    );
}

/**
 * What a user handed out until `madeUntil`, on any account, revoked: the API keys they made and the
 * invitations they sent that are still pending. A password reset runs it for what was made before the
 * address was verified: anyone may register any address, and whoever did so before its owner took the
 * account back through the mailbox must not keep acting for it through a key or a link they made.
 */
export async function revokeGrantsMadeUntil(
  tx: Database,
  input: { userId: string; madeUntil: Date; now: Date },
): Promise<void> {
  const { userId, madeUntil, now } = input;
  await tx
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(
      and(eq(apiKeys.createdByUserId, userId), lte(apiKeys.createdAt, madeUntil), isNull(apiKeys.revokedAt)),
    );
  await tx
    .update(accountInvitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(accountInvitations.invitedByUserId, userId),
        lte(accountInvitations.createdAt, madeUntil),
        isNull(accountInvitations.acceptedAt),
        isNull(accountInvitations.revokedAt),
      ),
    );
}
