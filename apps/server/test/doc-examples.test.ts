import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { API_KEY_SCOPES, silentLogger, type Logger } from '@tollgate/api';
import { grantPlatformRole, markEmailVerified, type Database } from '@tollgate/db';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../src/env';
import { startServer, type RunningServer } from '../src/server';
import {
  bodyFieldVariable,
  credentialVariable,
  exampleSetup,
  pathParameterVariable,
  setupBody,
} from '../src/openapi/docs-page-example';
import type { HttpMethod, OpenApiDocument } from '../src/openapi/openapi-types';
import { codeBlocksOfHtml, describeFailure, runShellExamples, shellBlocksOf } from './support/doc-examples';
import { request } from './support/http';
import { TEST_JWT_SECRET } from './support/test-server';

// The documentation's examples are executed as written against a real server (the production
// startServer over a fresh database, with its embedded Stripe emulator), so a wrong example fails here.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const APP_URL = 'http://app.tollgate.test';

interface DocServer {
  server: RunningServer;
  bootstrapToken: string;
  close(): Promise<void>;
}

const running: DocServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((docServer) => docServer.close()));
});

/** A fresh install: no operator yet, so the server prints a bootstrap token (captured from its log). */
async function startFreshInstall(): Promise<DocServer> {
  const testDb: TestDbHandle = await createTestDb();
  let bootstrapToken = '';
  const capture = (_message: string, fields: Record<string, unknown> = {}) => {
    if (typeof fields.bootstrapToken === 'string') bootstrapToken = fields.bootstrapToken;
  };
  const logger: Logger = { ...silentLogger, info: capture };
  const server = await startServer(
    parseEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
      APP_URL,
      LOG_REQUESTS: 'false',
      // No Stripe key: the server starts its offline emulator, on a free port.
      STRIPE_EMULATOR_PORT: '0',
    }),
    { db: testDb, logger },
  );
  if (!bootstrapToken) throw new Error('the fresh server printed no bootstrap token');
  const docServer = {
    server,
    bootstrapToken,
    async close() {
      await server.close();
      await testDb.close();
    },
  };
  running.push(docServer);
  return docServer;
}

/** What a reader has in their shell: the server's URL and APP_URL, and the token the server printed. */
function readerEnv({ server, bootstrapToken }: DocServer): Record<string, string> {
  return { TOLLGATE_URL: server.url, APP_URL, BOOTSTRAP_TOKEN: bootstrapToken };
}

describe.each(['README.md', 'docs/api.md'])('the shell examples of %s', (file) => {
  it('run as written, top to bottom, against a fresh install', async () => {
    const { run, skipped } = shellBlocksOf(readFileSync(`${REPO}${file}`, 'utf8'));
    expect(run.length).toBeGreaterThan(0);
    // Skipping is for what can't run here (starting the server itself), never for a curl.
    for (const example of skipped) expect(example.code, `${file}:${example.line}`).not.toMatch(/\bcurl\b/);
    const docServer = await startFreshInstall();
    const result = await runShellExamples(run, readerEnv(docServer), file);
    expect(result.code, describeFailure(result)).toBe(0);
  });
});

/** A call the setup needs to succeed: its answer's body, or a failure naming the call. */
async function must<T>(url: string, method: string, path: string, token: string, body?: unknown): Promise<T> {
  const answer = await request<T>(url, method, `/api/v1${path}`, { token, body });
  if (answer.status >= 300)
    throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

interface Invitation {
  id: string;
  accountId: string;
  token: string;
}

/**
 * The account variables, made the way a reader makes them (over HTTP, as in docs/api.md): a second
 * user joins the reader's team as a member; a pending invitation to revoke; an account key; a team
 * the reader owns with a member to hand it to; a team of the second user's that the reader joined
 * (and may leave), and a link to another one of its teams, sent to the reader and not yet accepted.
 */
async function accountVariables(
  url: string,
  readerToken: string,
  db: Database,
): Promise<Record<string, string>> {
  const teammate = await must<{ accessToken: string; user: { id: string } }>(
    url,
    'POST',
    '/auth/register',
    '',
    {
      email: 'teammate@example.com',
      password: 'correct horse battery',
    },
  );
  // Inviting needs a verified address: the teammate has clicked its sign-up link.
  await markEmailVerified(db, teammate.user.id, 'teammate@example.com', new Date());
  const createTeam = (token: string, name: string) =>
    must<{ id: string }>(url, 'POST', '/accounts', token, { name }).then((account) => account.id);
  const invite = (token: string, accountId: string, email: string) =>
    must<Invitation>(url, 'POST', `/accounts/${accountId}/invitations`, token, { email, role: 'member' });
  const join = (token: string, { id, accountId, token: linkToken }: Invitation) =>
    must(url, 'POST', '/invitations/accept', token, { accountId, invitationId: id, token: linkToken });

  const accountId = await createTeam(readerToken, 'Reader team');
  await join(teammate.accessToken, await invite(readerToken, accountId, 'teammate@example.com'));
  const pending = await invite(readerToken, accountId, 'pending@example.com');
  const accountKey = await must<{ id: string }>(url, 'POST', `/accounts/${accountId}/api-keys`, readerToken, {
    name: 'reader team key to revoke',
    scopes: ['runs:authorize'],
  });
  const transferAccountId = await createTeam(readerToken, 'Reader team to hand over');
  await join(teammate.accessToken, await invite(readerToken, transferAccountId, 'teammate@example.com'));
  const leaveAccountId = await createTeam(teammate.accessToken, 'Teammate team');
  await join(readerToken, await invite(teammate.accessToken, leaveAccountId, 'reader@example.com'));
  const link = await invite(
    teammate.accessToken,
    await createTeam(teammate.accessToken, 'Teammate second team'),
    'reader@example.com',
  );
  return {
    ACCOUNT_ID: accountId,
    MEMBER_USER_ID: teammate.user.id,
    INVITATION_ID: pending.id,
    ACCOUNT_KEY_ID: accountKey.id,
    TRANSFER_ACCOUNT_ID: transferAccountId,
    NEW_OWNER_USER_ID: teammate.user.id,
    LEAVE_ACCOUNT_ID: leaveAccountId,
    LINK_ACCOUNT_ID: link.accountId,
    LINK_INVITATION_ID: link.id,
    LINK_TOKEN: link.token,
  };
}

const READER_EMAIL = 'reader@example.com';

/** The token of the newest `<APP_URL><path>#token=…` link mailed to `address` (sent now by the outbox). */
async function mailedToken(server: RunningServer, address: string, path: string): Promise<string> {
  const inbox = server.devInbox;
  if (!inbox) throw new Error('the fresh install has no dev inbox');
  await server.emailWorker.drain();
  const pattern = new RegExp(`${APP_URL}${path}#token=([A-Za-z0-9_-]+)`);
  const message = await inbox.waitFor(
    (candidate) => candidate.to.includes(address) && pattern.test(candidate.text),
    { timeoutMs: 10_000 },
  );
  return pattern.exec(message.text)?.[1] ?? '';
}

/**
 * The variables the reference page documents (`$TOKEN`, `$API_KEY`, `$USER_ID`, `$ACCOUNT_ID`, …),
 * made the way a reader makes them: a signed-up user who is an operator, a key with every scope, a
 * session, a key to revoke, and the team accounts of accountVariables.
 */
async function referenceVariables(docServer: DocServer): Promise<Record<string, string>> {
  const { url, deps } = docServer.server;
  const registered = await request<{ accessToken: string; refreshToken: string; user: { id: string } }>(
    url,
    'POST',
    '/api/v1/auth/register',
    { body: { email: READER_EMAIL, password: 'correct horse battery' } },
  );
  const { accessToken, refreshToken, user } = registered.body;
  await grantPlatformRole(deps.db, { userId: user.id, grantedBy: 'cli', now: new Date() });
  // Verified, as a reader who clicked the sign-up link would be (inviting needs it); the example that
  // posts $VERIFY_TOKEN still answers 200, the link being unused.
  await markEmailVerified(deps.db, user.id, READER_EMAIL, new Date());
  const createKey = async (name: string) =>
    (
      await request<{ id: string; key: string }>(url, 'POST', '/api/v1/api-keys', {
        token: accessToken,
        body: { name, scopes: [...API_KEY_SCOPES] },
      })
    ).body;
  const session = await request<{ id: string }>(url, 'POST', '/api/v1/sessions', {
    token: accessToken,
    body: { title: 'Reader' },
  });
  // The emailed links' tokens, from the reader's mailbox (the server's dev inbox): the verification
  // link sent at sign-up, and a reset link asked for now.
  const VERIFY_TOKEN = await mailedToken(docServer.server, READER_EMAIL, '/verify-email');
  await request(url, 'POST', '/api/v1/auth/password-reset/request', { body: { email: READER_EMAIL } });
  await docServer.server.services.passwordReset.settled();
  const RESET_TOKEN = await mailedToken(docServer.server, READER_EMAIL, '/reset-password');
  return {
    VERIFY_TOKEN,
    RESET_TOKEN,
    ...readerEnv(docServer),
    TOKEN: accessToken,
    REFRESH_TOKEN: refreshToken,
    USER_ID: user.id,
    API_KEY: (await createKey('reader service')).key,
    API_KEY_ID: (await createKey('reader key to revoke')).id,
    SESSION_ID: session.body.id,
    ...(await accountVariables(url, accessToken, deps.db)),
  };
}

/** What an example ends, by what a later example may still need. */
type Ends = 'nothing' | 'a resource' | 'the session';
const ENDS_ORDER: Ends[] = ['nothing', 'a resource', 'the session'];
/** The paths whose examples sign the reader out: a logout, and a password reset (every session). */
const SIGNS_OUT = /\/auth\/(logout|password-reset\/confirm)\b/;

/**
 * Page order, but what deletes runs after the rest (a later example may still need the key), and what
 * signs out last of all (a deletion still needs the session; an access token ends with it).
 */
const endersLast = <T>(items: readonly T[], endsOf: (item: T) => Ends): T[] =>
  ENDS_ORDER.flatMap((ends) => items.filter((item) => endsOf(item) === ends));

describe('the /docs reference page', () => {
  it('every example on it runs as written with the variables it documents', async () => {
    const docServer = await startFreshInstall();
    const env = await referenceVariables(docServer);
    const html = await (await fetch(`${docServer.server.url}/docs`)).text();
    const blocks = codeBlocksOfHtml(html);
    expect(blocks.filter((block) => block.startsWith('curl ')).length).toBeGreaterThan(20);
    const examples = endersLast(
      blocks.map((code, index) => ({ line: index + 1, code })),
      (example): Ends =>
        SIGNS_OUT.test(example.code)
          ? 'the session'
          : / -X DELETE /.test(example.code)
            ? 'a resource'
            : 'nothing',
    );
    const result = await runShellExamples(examples, env, '/docs example');
    expect(result.code, describeFailure(result)).toBe(0);
  });
});

describe('the OpenAPI document', () => {
  it("every operation's example, sent with the credential it needs, answers 2xx", async () => {
    const docServer = await startFreshInstall();
    const env = await referenceVariables(docServer);
    const document = (await (
      await fetch(`${docServer.server.url}/api/v1/openapi.json`)
    ).json()) as OpenApiDocument;
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ path, method: method as HttpMethod, operation })),
    );
    const withExamples = operations.filter(
      ({ operation }) => operation.requestBody?.content['application/json']?.example !== undefined,
    );
    expect(withExamples.length).toBeGreaterThan(5);
    const failures: string[] = [];
    for (const { path, method, operation } of endersLast(withExamples, (entry): Ends =>
      SIGNS_OUT.test(entry.path) ? 'the session' : entry.method === 'delete' ? 'a resource' : 'nothing',
    )) {
      const example = operation.requestBody?.content['application/json']?.example as Record<string, unknown>;
      const procedure = operation['x-trpc-procedure'];
      // Fields standing for what the reader has (the user to act for, their refresh token) get theirs.
      const body = Object.fromEntries(
        Object.entries(example).map(([field, value]) => {
          const variable = bodyFieldVariable(field, procedure);
          return [field, variable ? env[variable] : value];
        }),
      );
      const urlPath = path.replace(
        /\{(\w+)\}/g,
        (_match, name: string) => env[pathParameterVariable(path, name, procedure)] ?? '',
      );
      const credential = credentialVariable(operation);
      const token = credential ? env[credential] : undefined;
      // The preconditions the page shows before the example (a reserved run before a release, a
      // started one before a settle): each must succeed, as the page's `set -e` script requires.
      for (const call of exampleSetup(operation)?.calls ?? []) {
        const setup = await request(docServer.server.url, call.method.toUpperCase(), `/api/v1${call.path}`, {
          body: setupBody(call, body),
          token,
        });
        if (setup.status >= 300) {
          failures.push(
            `${method.toUpperCase()} ${path}: its setup ${call.method.toUpperCase()} ${call.path} → ${setup.status} ${JSON.stringify(setup.body)}`,
          );
        }
      }
      const answer = await request(docServer.server.url, method.toUpperCase(), `/api/v1${urlPath}`, {
        body,
        token,
      });
      if (answer.status >= 300) {
        failures.push(
          `${method.toUpperCase()} ${path} ${JSON.stringify(example)} → ${answer.status} ${JSON.stringify(answer.body)}`,
        );
      }
    }
    expect(failures).toEqual([]);
  });
});
