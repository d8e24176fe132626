import { randomToken } from './secrets';

/** Service API keys look like `tg_sk_<43 chars>`; the prefix tells them apart from JWTs at a glance. */
export const API_KEY_PREFIX = 'tg_sk_';

/**
 * runs:authorize — reserve runs for any user and start them; runs:release — give back the units of a
 * run the same key reserved and never started; runs:settle — say what a run the same key reserved
 * finally cost; subscriptions:read — read any user's subscription.
 */
export const API_KEY_SCOPES = [
  'runs:authorize',
  'runs:release',
  'runs:settle',
  'subscriptions:read',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export function generateApiKey(): { key: string; displayPrefix: string } {
  const key = `${API_KEY_PREFIX}${randomToken()}`;
  return { key, displayPrefix: key.slice(0, API_KEY_PREFIX.length + 6) };
}

export function isApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}
