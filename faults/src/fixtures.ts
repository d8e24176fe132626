import { createHash, randomBytes } from 'node:crypto';
import { createDb, ensureUser, insertApiKey } from '@tollgate/db';

/**
 * A migrated database with a service API key (scope runs:authorize), made through the repository
 * functions the server itself uses. The key is `tg_sk_<random>` stored as its SHA-256, as
 * `apiKeys.create` does.
 */
export async function prepareDatabase(databaseUrl: string): Promise<{ apiKey: string }> {
  const handle = await createDb({ databaseUrl, poolSize: 2 });
  try {
    const owner = await ensureUser(handle.db, 'fault-suite-operator');
    const apiKey = `tg_sk_${randomBytes(32).toString('base64url')}`;
    await insertApiKey(handle.db, {
      name: 'fault suite',
      prefix: apiKey.slice(0, 12),
      keyHash: createHash('sha256').update(apiKey).digest('hex'),
      scopes: ['runs:authorize'],
      createdByUserId: owner.id,
    });
    return { apiKey };
  } finally {
    await handle.close();
  }
}
