import type { HttpMethod, OpenApiOperation } from './openapi-types';

/**
 * Body fields whose example value stands for something the reader has (the user a service acts for,
 * the refresh token from their login): the curl sends the shell variable instead, so the example runs
 * as written once those variables are set (a placeholder like `user_123` would be a 404 UNKNOWN_USER).
 */
export const BODY_FIELD_VARIABLES: Readonly<Record<string, string>> = {
  userId: 'USER_ID',
  refreshToken: 'REFRESH_TOKEN',
};

/**
 * What must be true before an operation's example can succeed, and the call that makes it so with the
 * same body: only a run that was reserved and never started can be released.
 */
const SETUP_BY_PROCEDURE: Readonly<Record<string, { comment: string; method: HttpMethod; path: string }>> = {
  'usage.release': {
    comment: '# First a run is reserved (its work then never starts): only such a run is released',
    method: 'post',
    path: '/usage/authorize',
  },
};

export function exampleSetup(operation: OpenApiOperation) {
  const procedure = operation['x-trpc-procedure'];
  return procedure ? (SETUP_BY_PROCEDURE[procedure] ?? null) : null;
}

/** `/sessions/{id}/runs` → `SESSION_ID`, `/api-keys/{id}` → `API_KEY_ID`: named after the collection. */
export function pathParameterVariable(path: string, name: string): string {
  const segments = path.split('/');
  const index = segments.indexOf(`{${name}}`);
  const collection = index > 0 ? (segments[index - 1] ?? '') : '';
  const singular = collection.endsWith('s') ? collection.slice(0, -1) : collection;
  const prefix = singular ? `${singular.replace(/-/g, '_').toUpperCase()}_` : '';
  return `${prefix}${name.toUpperCase()}`;
}

/**
 * Which variable holds the credential: a service key when only a service may call, or when the
 * example names the user to act for (a user token naming a user is refused with 403); otherwise the
 * user's access token.
 */
export function credentialVariable(operation: OpenApiOperation): 'TOKEN' | 'API_KEY' | null {
  const schemes = operation.security.flatMap((requirement) => Object.keys(requirement));
  if (!schemes.length) return null;
  const example = operation.requestBody?.content['application/json']?.example;
  const namesUser = typeof example === 'object' && example !== null && 'userId' in example;
  if (schemes.includes('serviceApiKey') && (namesUser || !schemes.includes('userJwt'))) return 'API_KEY';
  return 'TOKEN';
}

/** The JSON body as a shell word: single-quoted, or double-quoted when it splices in variables. */
function bodyWord(example: unknown): string {
  const variables = new Map<string, string>();
  const withMarkers =
    typeof example === 'object' && example !== null && !Array.isArray(example)
      ? Object.fromEntries(
          Object.entries(example).map(([field, value]) => {
            const variable = BODY_FIELD_VARIABLES[field];
            if (!variable) return [field, value];
            const marker = `@@${variable}@@`;
            variables.set(marker, variable);
            return [field, marker];
          }),
        )
      : example;
  const json = JSON.stringify(withMarkers);
  if (!variables.size) return `'${json.replace(/'/g, `'\\''`)}'`;
  let escaped = json.replace(/[\\"$`]/g, (char) => `\\${char}`);
  for (const [marker, variable] of variables) escaped = escaped.replace(marker, `$${variable}`);
  return `"${escaped}"`;
}

/**
 * The operation's example as a curl command that runs as written: the base URL from `$TOLLGATE_URL`,
 * the credential and ids from shell variables, and `--fail-with-body` so an error answer fails it.
 */
export function curlExample(path: string, method: HttpMethod, operation: OpenApiOperation): string {
  const setup = exampleSetup(operation);
  const command = curlCommand(path, method, operation);
  if (!setup) return command;
  return `${setup.comment}\n${curlCommand(setup.path, setup.method, operation)} >/dev/null\n${command}`;
}

function curlCommand(path: string, method: HttpMethod, operation: OpenApiOperation): string {
  const urlPath = path.replace(
    /\{(\w+)\}/g,
    (_match, name: string) => `$${pathParameterVariable(path, name)}`,
  );
  const lines = [`curl --fail-with-body -sS -X ${method.toUpperCase()} "$TOLLGATE_URL/api/v1${urlPath}"`];
  const credential = credentialVariable(operation);
  if (credential) lines.push(`  -H "Authorization: Bearer $${credential}"`);
  const example = operation.requestBody?.content['application/json']?.example;
  if (example !== undefined) {
    lines.push('  -H "Content-Type: application/json"', `  -d ${bodyWord(example)}`);
  }
  return lines.join(' \\\n');
}
