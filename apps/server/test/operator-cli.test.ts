import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@tollgate/api';
import {
  createDb,
  createUser,
  findPlatformRole,
  insertApiKey,
  listApiKeys,
  listAudit,
  markEmailVerified,
  type DbHandle,
} from '@tollgate/db';
import { createScratchDatabase, testPostgresServerUrl, type ScratchDatabase } from '@tollgate/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../src/env';
import { startServer } from '../src/server';
import { runServerCli, type CliResult } from './support/cli';
import { registerUser, trpc } from './support/http';
import { TEST_JWT_SECRET } from './support/test-server';

/** `npm run operator -- …` as an operator types it on the server: a separate process. */
function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runServerCli('operator-cli.ts', args, env);
}

let tmpRoot: string;
beforeAll(async () => {
  tmpRoot = await mkdtemp(join(tmpdir(), 'tollgate-operator-cli-'));
});
afterAll(() => rm(tmpRoot, { recursive: true, force: true }));

// The database the CLI works on: PostgreSQL when the tests run against it, else a PGlite folder.
const postgresUrl = testPostgresServerUrl();

describe(`operator CLI on ${postgresUrl ? 'PostgreSQL' : 'PGlite'}`, () => {
  let scratch: ScratchDatabase | null = null;
  let cliEnv: Record<string, string>;
  let open: () => Promise<DbHandle>;

  beforeAll(async () => {
    if (postgresUrl) {
      const database = await createScratchDatabase(postgresUrl);
      scratch = database;
      cliEnv = { DATABASE_URL: database.url };
      open = () => createDb({ databaseUrl: database.url, poolSize: 2 });
    } else {
      const dataDir = join(tmpRoot, 'cli-db');
      cliEnv = { PGLITE_DATA_DIR: dataDir };
      open = () => createDb({ dataDir });
    }
  });
  afterAll(() => scratch?.drop());

  it(
    'grants by email or id, lists, revokes, and never revokes the last operator',
    { timeout: 300_000 },
    async () => {
      const seed = await open();
      const ada = await createUser(seed.db, { email: 'ada@example.test', passwordHash: 'x' });
      await markEmailVerified(seed.db, ada.id, 'ada@example.test', new Date());
      const bob = await createUser(seed.db, { email: 'bob@example.test', passwordHash: 'x' });
      // Registered, never verified: whoever did may not own the address.
      const squatter = await createUser(seed.db, { email: 'eve@example.test', passwordHash: 'x' });
      await seed.close();

      const grantAda = await runCli(['grant', 'ADA@example.test'], cliEnv);
      expect(grantAda).toMatchObject({ code: 0 });
      expect(grantAda.stdout).toContain(`ada@example.test (${ada.id}) is a platform operator.`);
      expect((await runCli(['grant', bob.id], cliEnv)).code).toBe(0);
      const unknown = await runCli(['grant', 'nobody@example.test'], cliEnv);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/No user nobody@example.test/);
      const unverified = await runCli(['grant', 'eve@example.test'], cliEnv);
      expect(unverified.code).toBe(1);
      expect(unverified.stderr).toMatch(/eve@example.test: This address isn't verified yet/);

      const listed = await runCli(['list'], cliEnv);
      expect(listed.stdout).toMatch(new RegExp(`${ada.id}  ada@example.test  granted .* by cli`));
      expect(listed.stdout).toContain(bob.id);

      // Bob's platform key goes with his role (the same revocation as operators.revoke); Ada's stays.
      const keys = await open();
      const platformKey = (createdByUserId: string, name: string) =>
        insertApiKey(keys.db, {
          name,
          prefix: `tg_sk_${name}`,
          keyHash: `hash-${name}`,
          scopes: ['runs:authorize'],
          createdByUserId,
        });
      const [bobsKey, adasKey] = [await platformKey(bob.id, 'bob'), await platformKey(ada.id, 'ada')];
      await keys.close();
      const revokeBob = await runCli(['revoke', 'bob@example.test'], cliEnv);
      expect(revokeBob.code).toBe(0);
      expect(revokeBob.stdout).toContain(`Revoked the platform API keys they made: ${bobsKey.id}.`);
      const last = await runCli(['revoke', ada.id], cliEnv);
      expect(last.code).toBe(1);
      expect(last.stderr).toMatch(/last platform operator/);
      expect(await runCli(['grant'], cliEnv)).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/Usage/),
      });

      const check = await open();
      try {
        expect(await findPlatformRole(check.db, ada.id)).toBe('operator');
        expect(await findPlatformRole(check.db, bob.id)).toBeNull();
        expect(await findPlatformRole(check.db, squatter.id)).toBeNull();
        // Each change is in the audit log, the CLI named as its actor (who ran it isn't known).
        const audit = await listAudit(check.db, { actorUserId: 'cli' });
        expect(audit.map((row) => [row.action, row.after])).toEqual([
          ['revoke_platform_role', { userId: bob.id, role: null, revokedApiKeyIds: [bobsKey.id] }],
          ['grant_platform_role', { userId: bob.id, role: 'operator' }],
          ['grant_platform_role', { userId: ada.id, role: 'operator' }],
        ]);
        const revokedAt = new Map((await listApiKeys(check.db)).map((row) => [row.id, row.revokedAt]));
        expect(revokedAt.get(bobsKey.id)).toBeInstanceOf(Date);
        expect(revokedAt.get(adasKey.id)).toBeNull();
      } finally {
        await check.close();
      }
    },
  );
});

describe('operator CLI next to a running server on an embedded PGlite folder', () => {
  it(
    'refuses to open the folder the server holds, and works once the server stopped',
    { timeout: 300_000 },
    async () => {
      const dataDir = join(tmpRoot, 'server-db');
      const server = await startServer(
        parseEnv({
          PORT: '0',
          HOST: '127.0.0.1',
          PGLITE_DATA_DIR: dataDir,
          JWT_SECRET: TEST_JWT_SECRET,
          APP_URL: 'http://app.tollgate.test',
          LOG_REQUESTS: 'false',
          NODE_ENV: 'test',
        }),
        { logger: silentLogger, billing: null },
      );
      let user: Awaited<ReturnType<typeof registerUser>>;
      try {
        user = await registerUser(server.url, 'ops@example.test');
        const refused = await runCli(['grant', 'ops@example.test'], { PGLITE_DATA_DIR: dataDir });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(new RegExp(`in use by process ${process.pid}`));
        expect((await trpc(server.url, 'query', 'operators.list', undefined, user.accessToken)).status).toBe(
          403,
        );
      } finally {
        await server.close();
      }

      const granted = await runCli(['grant', user.user.id], { PGLITE_DATA_DIR: dataDir });
      expect(granted.code).toBe(0);
      const listed = await runCli(['list'], { PGLITE_DATA_DIR: dataDir });
      expect(listed.stdout).toContain(user.user.id);
    },
  );
});
