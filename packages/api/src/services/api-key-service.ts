import {
  appendAudit,
  canMakePlatformKeys,
  findActiveApiKeyByHash,
  findMembershipForGrant,
  findPlatformRoleForKey,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  touchLastUsed,
  type AuditEntry,
} from '@tollgate/db';
import { AppError, can } from '@tollgate/domain';
import { generateApiKey, type ApiKeyScope } from '../auth/api-key-format';
import { hashSecret } from '../auth/secrets';
import type { ApiDeps } from '../config';
import type { ApiKeyView, CreatedApiKey, RevokedApiKey } from '../schemas/api-key-schemas';

type ApiKeyRow = Awaited<ReturnType<typeof listApiKeys>>[number];

/** What operators see of a key: never its hash; instants as the ISO strings clients receive. */
function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes as ApiKeyScope[],
    createdByUserId: row.createdByUserId,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/**
 * The staff member behind a platform key's creation or revocation: such a key acts for every account,
 * so both land in the operator audit log, in the key's own transaction.
 */
export type ApiKeyAuditActor = Pick<AuditEntry, 'actorUserId' | 'actorRole' | 'requestId'>;

/**
 * Service API keys, shown once, stored as SHA-256, revocable, scoped: platform keys (created by
 * operators, `accountId` null, act for any account) and account keys (created by an account's owners
 * and admins, act only for that account).
 */
export function createApiKeyService(deps: ApiDeps) {
  const { db, now } = deps;

  function auditOf(actor: ApiKeyAuditActor, action: string) {
    return { ...actor, action, accountId: null, reason: '', at: now() };
  }

  return {
    async create(
      input: { name: string; scopes: ApiKeyScope[]; createdByUserId: string; accountId?: string | null },
      audit?: ApiKeyAuditActor,
    ): Promise<CreatedApiKey> {
      const { key, displayPrefix } = generateApiKey();
      const row = await db.transaction(async (tx) => {
        const { accountId } = input;
        // An account key: its maker may still create one as the key is written. The caller checked the
        // role before this transaction, and a removal or demotion committed since would leave a key
        // made by someone who can no longer (it revokes only the keys that exist when it commits).
        if (accountId) {
          const maker = await findMembershipForGrant(tx, accountId, input.createdByUserId);
          if (!maker)
            throw new AppError('ACCOUNT_NOT_FOUND', 'No such account, or you are not a member of it');
          if (!can(maker.role, 'manage_api_keys')) {
            throw new AppError('FORBIDDEN', `Your role (${maker.role}) in this account can't do this`);
          }
        } else if (!canMakePlatformKeys(await findPlatformRoleForKey(tx, input.createdByUserId))) {
          // A platform key, the same way: an operator whose role is revoked meanwhile makes no key
          // (the revocation revokes only the keys that exist when it commits).
          throw new AppError('FORBIDDEN', 'Only a platform operator can make platform keys');
        }
        const inserted = await insertApiKey(tx, {
          name: input.name,
          prefix: displayPrefix,
          keyHash: hashSecret(key),
          scopes: input.scopes,
          createdByUserId: input.createdByUserId,
          accountId: input.accountId ?? null,
        });
        if (audit) {
          const { id, name, prefix, scopes } = inserted;
          const after = { keyId: id, name, prefix, scopes, accountId: inserted.accountId };
          await appendAudit(tx, { ...auditOf(audit, 'create_api_key'), before: null, after });
        }
        return inserted;
      });
      const { id, name, prefix, scopes, createdAt } = toApiKeyView(row);
      return { id, name, prefix, scopes, createdAt, key };
    },

    async list(accountId: string | null = null): Promise<ApiKeyView[]> {
      return (await listApiKeys(db, accountId)).map(toApiKeyView);
    },

    async revoke(
      id: string,
      accountId: string | null = null,
      audit?: ApiKeyAuditActor,
    ): Promise<RevokedApiKey> {
      const isRevoked = await db.transaction(async (tx) => {
        if (!(await revokeApiKey(tx, id, now(), accountId))) return false;
        if (audit) {
          await appendAudit(tx, { ...auditOf(audit, 'revoke_api_key'), before: { keyId: id }, after: null });
        }
        return true;
      });
      if (!isRevoked) throw new AppError('NOT_FOUND', 'API key not found or already revoked');
      return { id, revoked: true as const };
    },

    async verify(
      key: string,
    ): Promise<{ id: string; scopes: ApiKeyScope[]; accountId: string | null } | null> {
      const row = await findActiveApiKeyByHash(db, hashSecret(key));
      if (!row) return null;
      // lastUsedAt is for humans: refresh it at most once a minute to keep writes off the hot path.
      const at = now();
      if (!row.lastUsedAt || at.getTime() - row.lastUsedAt.getTime() > 60_000) {
        void touchLastUsed(db, row.id, at).catch(() => undefined);
      }
      return { id: row.id, scopes: row.scopes as ApiKeyScope[], accountId: row.accountId };
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
