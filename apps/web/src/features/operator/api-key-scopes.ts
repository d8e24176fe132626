import type { RouterInputs } from '@tollgate/sdk';

/** The server's API_KEY_SCOPES (packages/api/src/auth/api-key-format.ts), as apiKeys.create accepts them. */
export type ApiKeyScope = RouterInputs['apiKeys']['create']['scopes'][number];

export interface ScopeOption {
  id: ApiKeyScope;
  description: string;
}

/**
 * The web can't import @tollgate/api at runtime, so the list is written here; the types below fail
 * the build when the server adds or renames a scope this list lacks.
 */
export const API_KEY_SCOPE_OPTIONS = [
  { id: 'runs:authorize', description: 'Reserve and start runs for any user' },
  { id: 'runs:release', description: 'Give back runs this key reserved and never started' },
  { id: 'runs:settle', description: 'Say what a run this key reserved finally cost' },
  { id: 'subscriptions:read', description: "Read any user's subscription and usage" },
] as const satisfies readonly ScopeOption[];

type Listed = (typeof API_KEY_SCOPE_OPTIONS)[number]['id'];
type Unlisted = Exclude<ApiKeyScope, Listed>;
// `true` only while every server scope is listed; otherwise this line names the missing one.
const isEveryScopeListed: [Unlisted] extends [never] ? true : Unlisted = true;
void isEveryScopeListed;
