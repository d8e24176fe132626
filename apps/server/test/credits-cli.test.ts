import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDb,
  createUser,
  ensurePersonalAccount,
  listAudit,
  listCreditGrants,
  markEmailVerified,
  reserveRuns,
  type DbHandle,
} from '@tollgate/db';
import { createScratchDatabase, testPostgresServerUrl, type ScratchDatabase } from '@tollgate/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCreditsCommand } from '../src/credits-cli';
import { runServerCli } from './support/cli';

const NOW = new Date('2026-03-10T12:00:00Z');

describe('credits CLI arguments', () => {
  it.each([
    [['grant', 'a@b.test', '0', '--reason', 'x'], /units must be/],
    [['grant', 'a@b.test', '5'], /--reason is required/],
    [['grant', 'a@b.test', '5', '--reason', '  '], /--reason is required/],
    [['grant', 'a@b.test', '5', '--reason', 'x', '--expires', '2020-01-01'], /future date/],
    [['grant', 'a@b.test', '5', '--reason', 'x', '--expires', 'soon'], /future date/],
    [['grant', 'a@b.test', '5', '--reason', 'x', '--priority', '-1'], /--priority/],
    // Number() would read these as 16, 1000 and 12 units, and Date would roll Feb 30 to March 2.
    [['grant', 'a@b.test', '0x10', '--reason', 'x'], /units must be/],
    [['grant', 'a@b.test', '1e3', '--reason', 'x'], /units must be/],
    [['grant', 'a@b.test', ' 12 ', '--reason', 'x'], /units must be/],
    [['grant', 'a@b.test', '5', '--reason', 'x', '--priority', '0x10'], /--priority/],
    [['grant', 'a@b.test', '5', '--reason', 'x', '--expires', '2027-02-30'], /future date/],
    [['grant', 'a@b.test', '5', '--reason', 'x', '--expires', '2027-3-1'], /future date/],
    [['grant', 'a@b.test', '5', '--reason'], /Usage/],
    [['refund', 'a@b.test'], /Usage/],
  ])('%j is refused with a reason', (args, problem) => {
    expect(parseCreditsCommand(args, NOW)).toMatch(problem);
  });

  it('defaults: expires in 12 months (UTC date), priority 100; "never" never expires', () => {
    expect(parseCreditsCommand(['grant', 'a@b.test', '25', '--reason', 'outage'], NOW)).toEqual({
      kind: 'grant',
      target: 'a@b.test',
      units: 25,
      reason: 'outage',
      expiresAt: new Date('2027-03-10T00:00:00Z'),
      priority: 100,
    });
    expect(
      parseCreditsCommand(
        ['grant', 'a@b.test', '1', '--reason', 'x', '--expires', 'never', '--priority', '5'],
        NOW,
      ),
    ).toMatchObject({ expiresAt: null, priority: 5 });
  });
});

const postgresUrl = testPostgresServerUrl();

describe(`credits CLI on ${postgresUrl ? 'PostgreSQL' : 'PGlite'}`, () => {
  let tmpRoot: string;
  let scratch: ScratchDatabase | null = null;
  let cliEnv: Record<string, string>;
  let open: () => Promise<DbHandle>;

  beforeAll(async () => {
    tmpRoot = await mkdtemp(join(tmpdir(), 'tollgate-credits-cli-'));
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
  afterAll(async () => {
    await scratch?.drop();
    await rm(tmpRoot, { recursive: true, force: true });
  });

  it(
    'grants runs to a verified email, with its audit row; the next authorization past the plan spends them',
    { timeout: 300_000 },
    async () => {
      const seed = await open();
      const user = await createUser(seed.db, { email: 'grace@example.test', passwordHash: 'x' });
      const accountId = await ensurePersonalAccount(seed.db, user.id, new Date());
      await seed.close();
      const grant = () =>
        runServerCli(
          'credits-cli.ts',
          ['grant', 'grace@example.test', '3', '--reason', 'support: outage on May 2'],
          cliEnv,
        );

      // Anyone may register any address: until it is verified, a grant to it is refused.
      const unverified = await grant();
      expect(unverified).toMatchObject({ code: 1, stderr: expect.stringMatching(/verified/) });
      const verify = await open();
      await markEmailVerified(verify.db, user.id, 'grace@example.test', new Date());
      expect(await listCreditGrants(verify.db, accountId)).toEqual([]);
      await verify.close();

      const granted = await grant();
      expect(granted).toMatchObject({ code: 0, stdout: expect.stringMatching(/Granted 3 runs to account/) });
      const unknown = await runServerCli('credits-cli.ts', ['list', 'nobody@example.test'], cliEnv);
      expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/No account/) });
      const listed = await runServerCli('credits-cli.ts', ['list', accountId], cliEnv);
      expect(listed.stdout).toMatch(/grant by cli {2}3\/3 left .* reason: support: outage on May 2/);

      const check = await open();
      try {
        const [stored] = await listCreditGrants(check.db, accountId);
        expect(stored).toMatchObject({ source: 'operator', units: 3, remaining: 3, grantedBy: 'cli' });
        // Every operator grant is audited, the CLI's as the console's.
        const audit = await listAudit(check.db, { accountId });
        expect(audit).toEqual([
          expect.objectContaining({
            action: 'grant_credits',
            actorUserId: 'cli',
            actorRole: 'cli',
            reason: 'support: outage on May 2',
          }),
        ]);
        // A plan of 1 run this period: the first run is the allowance's, the next 3 the grant's, then none.
        const now = new Date();
        const period = {
          start: new Date(now.getTime() - 86_400_000),
          end: new Date(now.getTime() + 86_400_000),
        };
        const results = await reserveRuns(
          check.db,
          Array.from({ length: 5 }, (_, i) => ({
            accountId,
            userId: user.id,
            countsMember: false,
            runId: `r${i}`,
            period,
            limit: 1,
            units: 1,
            isBlocked: false,
            fingerprint: `fp${i}`,
            actor: { kind: 'service' as const, id: 'key' },
            now,
          })),
        );
        expect(results.map((result) => result.outcome)).toEqual([
          'reserved',
          'reserved',
          'reserved',
          'reserved',
          'limit_reached',
        ]);
      } finally {
        await check.close();
      }
    },
  );
});
