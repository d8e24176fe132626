import { z } from 'zod';
import { API_KEY_SCOPES } from '../auth/api-key-format';
import { isoDateTime as instant } from './wire-date';

/** A service API key as operators see it in a list: never the key itself, only its first characters. */
export const apiKeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key (`tg_sk_` + 6), to tell keys apart'),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  createdByUserId: z.string().describe('The operator who created it'),
  createdAt: instant,
  lastUsedAt: instant.nullable().describe('Refreshed at most once a minute'),
  revokedAt: instant.nullable().describe('Set once revoked: the key answers 401 from then on'),
});

export const apiKeysSchema = z.array(apiKeySchema);

/** The answer to creating a key: the only time the key (`tg_sk_…`) is shown; it is stored hashed. */
export const createdApiKeySchema = apiKeySchema
  .pick({ id: true, name: true, prefix: true, scopes: true, createdAt: true })
  .extend({ key: z.string().describe('The key itself (`tg_sk_…`): shown once, store it now') });

export const revokedApiKeySchema = z.object({ id: z.uuid(), revoked: z.literal(true) });

export type ApiKeyView = z.output<typeof apiKeySchema>;
export type CreatedApiKey = z.output<typeof createdApiKeySchema>;
export type RevokedApiKey = z.output<typeof revokedApiKeySchema>;
