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

/** One call an example needs first, sent with (part of) the example's own body. */
export interface SetupCall {
  method: HttpMethod;
  path: string;
  /** The fields of the example's body it sends; omitted: all of them. */
  fields?: readonly string[];
  /** Fields it adds to those (constants, as the example whose request it repeats has them). */
  adds?: Readonly<Record<string, unknown>>;
}

export interface ExampleSetup {
  comment: string;
  calls: readonly SetupCall[];
}

/**
 * What must be true before an operation's example can succeed, and the calls that make it so, in order:
 * only a run that was reserved and never started can be released; only a run the same key reserved
 * and started can be settled. The settle's calls repeat the authorize and start examples' requests
 * exactly (same requestHash, same attemptId), so after those examples they are answered as replays
 * (`isReplay`) and change nothing, and alone they reserve and start the run.
 */
const SETUP_BY_PROCEDURE: Readonly<Record<string, ExampleSetup>> = {
  'usage.release': {
    comment: '# First a run is reserved (its work then never starts): only such a run is released',
    calls: [{ method: 'post', path: '/usage/authorize' }],
  },
  'usage.settle': {
    comment:
      '# First the same key reserves and starts the run, with the requests of the authorize and start\n' +
      '# examples (repeated, they are answered as replays and change nothing): only a started run is settled',
    calls: [
      {
        method: 'post',
        path: '/usage/authorize',
        fields: ['userId', 'runId'],
        adds: { requestHash: 'sha256-of-the-task' },
      },
      { method: 'post', path: '/usage/start', fields: ['userId', 'runId'], adds: { attemptId: 'a1' } },
    ],
  },
};

export function exampleSetup(operation: OpenApiOperation): ExampleSetup | null {
  const procedure = operation['x-trpc-procedure'];
  return procedure ? (SETUP_BY_PROCEDURE[procedure] ?? null) : null;
}

/** The body a setup call sends, from the example's body (with the reader's values already in it or not). */
export function setupBody(call: SetupCall, exampleBody: unknown): unknown {
  if (typeof exampleBody !== 'object' || exampleBody === null || Array.isArray(exampleBody))
    return exampleBody;
  const picked = call.fields
    ? Object.fromEntries(Object.entries(exampleBody).filter(([field]) => call.fields?.includes(field)))
    : exampleBody;
  return { ...picked, ...call.adds };
}

/**
 * Inputs (path parameters and body fields) whose generic variable would name the wrong thing, by
 * procedure: the account the reader leaves or hands over isn't the team it keeps managing, the new
 * owner isn't the reader (`USER_ID`), an invitation to accept is one sent to the reader, an account
 * key isn't a platform key (`API_KEY_ID`), and an emailed link's token is the one in the reader's mail.
 */
const VARIABLES_BY_PROCEDURE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'accounts.leave': { accountId: 'LEAVE_ACCOUNT_ID' },
  'accounts.transferOwnership': { accountId: 'TRANSFER_ACCOUNT_ID', userId: 'NEW_OWNER_USER_ID' },
  'accounts.acceptInvitation': {
    accountId: 'LINK_ACCOUNT_ID',
    invitationId: 'LINK_INVITATION_ID',
    token: 'LINK_TOKEN',
  },
  'accounts.revokeApiKey': { id: 'ACCOUNT_KEY_ID' },
  // The tokens of the emailed links (the text after `#token=`), from the reader's mailbox.
  'auth.verifyEmail': { token: 'VERIFY_TOKEN' },
  'auth.resetPassword': { token: 'RESET_TOKEN' },
};

function overriddenVariable(procedure: string | undefined, name: string): string | undefined {
  return procedure ? VARIABLES_BY_PROCEDURE[procedure]?.[name] : undefined;
}

/** The variable a body field's example stands for, if any (see BODY_FIELD_VARIABLES). */
export function bodyFieldVariable(field: string, procedure?: string): string | undefined {
  return overriddenVariable(procedure, field) ?? BODY_FIELD_VARIABLES[field];
}

const SNAKE_CASE = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/**
 * `/sessions/{id}/runs` → `SESSION_ID`, `/api-keys/{id}` → `API_KEY_ID`: named after the collection;
 * a name that already says it keeps its own (`/accounts/{accountId}` → `ACCOUNT_ID`,
 * `/members/{userId}` → `MEMBER_USER_ID`); `procedure` applies the overrides above.
 */
export function pathParameterVariable(path: string, name: string, procedure?: string): string {
  const overridden = overriddenVariable(procedure, name);
  if (overridden) return overridden;
  const segments = path.split('/');
  const index = segments.indexOf(`{${name}}`);
  const collection = index > 0 ? (segments[index - 1] ?? '') : '';
  const singular = SNAKE_CASE(
    (collection.endsWith('s') ? collection.slice(0, -1) : collection).replace(/-/g, '_'),
  );
  const variable = SNAKE_CASE(name);
  if (!singular || variable.startsWith(`${singular}_`)) return variable;
  return `${singular}_${variable}`;
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
function bodyWord(example: unknown, procedure: string | undefined): string {
  const variables = new Map<string, string>();
  const withMarkers =
    typeof example === 'object' && example !== null && !Array.isArray(example)
      ? Object.fromEntries(
          Object.entries(example).map(([field, value]) => {
            const variable = bodyFieldVariable(field, procedure);
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
  const example = operation.requestBody?.content['application/json']?.example;
  const command = curlCommand(path, method, operation, example);
  const setup = exampleSetup(operation);
  if (!setup) return command;
  const calls = setup.calls.map(
    (call) => `${curlCommand(call.path, call.method, operation, setupBody(call, example))} >/dev/null`,
  );
  return [setup.comment, ...calls, command].join('\n');
}

/** One curl command; `example` is the body it sends (the operation's own, or a setup call's). */
function curlCommand(
  path: string,
  method: HttpMethod,
  operation: OpenApiOperation,
  example: unknown,
): string {
  const urlPath = path.replace(
    /\{(\w+)\}/g,
    (_match, name: string) => `$${pathParameterVariable(path, name, operation['x-trpc-procedure'])}`,
  );
  const lines = [`curl --fail-with-body -sS -X ${method.toUpperCase()} "$TOLLGATE_URL/api/v1${urlPath}"`];
  const credential = credentialVariable(operation);
  if (credential) lines.push(`  -H "Authorization: Bearer $${credential}"`);
  if (example !== undefined) {
    lines.push(
      '  -H "Content-Type: application/json"',
      `  -d ${bodyWord(example, operation['x-trpc-procedure'])}`,
    );
  }
  return lines.join(' \\\n');
}
