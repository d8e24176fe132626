import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgateClient } from '../src';
import {
  createConsumerProject,
  inReadmeLines,
  packSdk,
  readmeExamples,
  type CommandResult,
  type ConsumerProject,
  type PackedSdk,
  type ReadmeExample,
  tscErrors,
} from './support/packed-sdk';
import { newRunId, startTestTollgate, type TestTollgate } from './support/tollgate-server';

// Procedure names and inputs are checked in the consumer: each line must fail to compile.
const WRONG_CALLS = `import { createTollgateClient } from '@tollgate/sdk';

const tollgate = createTollgateClient({ url: 'http://localhost:3000', apiKey: 'tg_sk_example' });
await tollgate.trpc.usage.authorize.mutate({ userId: 'user_123', runid: 'task-1' });
await tollgate.trpc.usage.authorise.mutate({ userId: 'user_123', runId: 'task-1' });
await tollgate.authorizeRun({ userId: 'user_123' });
const remaining: string = (await tollgate.authorizeRun({ runId: 'task-1' })).remaining;
await tollgate.releaseRun({ accountId: 'team-account-id', runId: 'task-1' });
`;

// Types a consumer relies on: outputs as the JSON they are, the router type without server types.
const TYPED_CALLS = `import { createTollgateClient, type PlanId, type RouterOutputs } from '@tollgate/sdk';

const tollgate = createTollgateClient({ url: 'http://localhost:3000', apiKey: 'tg_sk_example' });
const plans: { id: PlanId; priceCents: number | null }[] = await tollgate.trpc.billing.plans.query();
const run: RouterOutputs['usage']['authorize'] = await tollgate.trpc.usage.authorize.mutate({
  userId: 'user_123',
  runId: 'task-1',
});
const resetsAt: string = run.resetsAt;
const overview = await tollgate.getSubscription('user_123');
const periodEnd: Date = overview.usage.resetsAt;
console.log(plans, resetsAt, periodEnd);
`;

// tsc and npm on a busy machine: far beyond the 30 s default.
const SLOW_MS = 180_000;

// The 402 body's schema is zod/mini, typed by its own output: the declarations name no zod type.
const ALLOWED_DTS_IMPORTS = ['@trpc/client', '@trpc/server', 'express'];

describe('the published package (pnpm pack → npm install outside the workspace)', () => {
  let packed: PackedSdk;
  let consumer: ConsumerProject;
  let tollgate: TestTollgate;
  let examples: ReadmeExample[];
  let typecheck: Promise<CommandResult>;

  /** The script tsc emitted for a README example. */
  const emitted = ({ file }: ReadmeExample) => `out/${file.replace(/\.ts$/, '.js')}`;

  beforeAll(async () => {
    [packed, examples] = await Promise.all([packSdk(), readmeExamples()]);
    [consumer, tollgate] = await Promise.all([
      createConsumerProject(packed.tarball, {
        ...Object.fromEntries(examples.map(({ file, code }) => [file, code])),
        'typed.ts': TYPED_CALLS,
        'wrong.ts': WRONG_CALLS,
      }),
      startTestTollgate(),
    ]);
    // One tsc run for all the files (wrong.ts must fail, so it exits non-zero); it emits out/ anyway.
    typecheck = consumer.typecheck();
  }, 600_000);
  afterAll(async () => {
    await Promise.all([tollgate?.stop(), consumer?.remove(), packed?.remove()]);
  });

  it('holds the built ESM and its declarations, no sources or tests', () => {
    expect(packed.files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'CHANGELOG.md',
        'dist/index.js',
        'dist/index.d.ts',
      ]),
    );
    expect(
      packed.files.filter((file) => !/^(dist\/|package\.json$|README\.md$|CHANGELOG\.md$)/.test(file)),
    ).toEqual([]);
    expect(
      packed.files.filter(
        (file) => /(^|\/)(src|test)\/|\.test\.|\.ts$/.test(file) && !file.endsWith('.d.ts'),
      ),
    ).toEqual([]);
  });

  it('has an exports map into dist/ and depends on nothing unpublished', () => {
    const { manifest } = packed;
    expect(manifest.private).toBeUndefined();
    expect(manifest.version).toMatch(/^0\.\d+\.\d+$/);
    expect(manifest.exports).toEqual({
      '.': { types: './dist/index.d.ts', import: './dist/index.js' },
      './package.json': './package.json',
    });
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    const runtime = { ...(manifest.dependencies as object), ...(manifest.peerDependencies as object) };
    expect(Object.keys(runtime).sort()).toEqual(['@trpc/client', '@trpc/server', '@types/express', 'zod']);
  });

  it('bundles the declarations without server types: imports only its dependencies', async () => {
    const dts = await packed.readFile('dist/index.d.ts');
    const imported = [...dts.matchAll(/from\s+["']([^"']+)["']/g)].map((match) => match[1]);
    expect([...new Set(imported)].sort()).toEqual(ALLOWED_DTS_IMPORTS);
    // No other way in: inline `import("…")` types or triple-slash references.
    expect([...dts.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1])).toEqual([]);
    expect(dts).not.toMatch(/\/\/\/\s*<reference/);
    const js = await packed.readFile('dist/index.js');
    const jsImports = [...js.matchAll(/from\s+["']([^"']+)["']/g)].map((match) => match[1]);
    // zod/mini only: classic zod's schemas in @tollgate/domain are pure and the SDK uses none of them.
    expect([...new Set(jsImports)].sort()).toEqual(['@trpc/client', 'zod/mini']);
  });

  it('reads every ts example of the README, each a complete file that starts with its imports', () => {
    // The service, two clients, requireRun, credits, a team's service and a user context on a team.
    expect(examples.length).toBeGreaterThanOrEqual(7);
    for (const { line, code } of examples) expect(code, `README.md:${line}`).toMatch(/^import /);
  });

  it(
    'type-checks every ts example of the README and the typed calls with tsc: no error outside wrong.ts',
    { timeout: SLOW_MS },
    async () => {
      const { output } = await typecheck;
      const unexpected = tscErrors(output).filter(({ file }) => file !== 'wrong.ts');
      expect(unexpected, inReadmeLines(output, examples)).toEqual([]);
    },
  );

  it('reports every wrong procedure name and input', { timeout: SLOW_MS }, async () => {
    const { code, output } = await typecheck;
    expect(code).not.toBe(0);
    const errorLines = tscErrors(output)
      .filter(({ file }) => file === 'wrong.ts')
      .map(({ line }) => line);
    expect([...new Set(errorLines)].sort(), output).toEqual([4, 5, 6, 7, 8]);
  });

  it("runs the README's service example against a real Tollgate", { timeout: SLOW_MS }, async () => {
    const { key } = await tollgate.createApiKey(['runs:authorize', 'subscriptions:read']);
    const user = await tollgate.registerUser();
    await typecheck; // emits out/
    // The first example, right after the install line.
    const [service] = examples;
    if (!service) throw new Error('README.md has no service example');
    const env = { TOLLGATE_URL: tollgate.url, TOLLGATE_API_KEY: key };
    const result = await consumer.node(emitted(service), [user.id], env);
    expect(result, result.output).toMatchObject({ code: 0 });
    expect(result.output).toMatch(/task-\S+ started, 9 of 10 left until \d{4}-\d\d-\d\dT/);
    const reader = createTollgateClient({ url: tollgate.url, apiKey: key });
    expect((await reader.getSubscription(user.id)).usage.used).toBe(1);
  });

  it(
    "runs the README's team example: a member's run comes from the team's pool",
    { timeout: SLOW_MS },
    async () => {
      const { key } = await tollgate.createApiKey(['runs:authorize', 'subscriptions:read']);
      const [owner, member, outsider] = await Promise.all([
        tollgate.registerUser(),
        tollgate.registerUser(),
        tollgate.registerUser(),
      ]);
      const accountId = await tollgate.createTeam(owner, [member]);
      await typecheck; // emits out/
      const example = examples.find(({ code }) => code.includes('getSubscription(team)'));
      if (!example) throw new Error('README.md has no team example');
      const env = { TOLLGATE_URL: tollgate.url, TOLLGATE_API_KEY: key };
      const runAs = (userId: string) => consumer.node(emitted(example), [accountId, userId], env);

      const noPlan = await runAs(member.id);
      expect(noPlan, noPlan.output).toMatchObject({ code: 0 });
      expect(noPlan.output).toMatch(/denied \(NO_PLAN, \d+ of \d+\): the team has no paid plan yet/);

      await tollgate.giveTeamPool(accountId, 100);
      const started = await runAs(member.id);
      expect(started, started.output).toMatchObject({ code: 0 });
      expect(started.output).toContain(`started for ${member.id}; the team used 1 of 100 runs`);

      const refused = await runAs(outsider.id);
      expect(refused, refused.output).toMatchObject({ code: 0 });
      expect(refused.output).toContain(`${outsider.id} is not a member of account ${accountId}`);
      const reader = createTollgateClient({ url: tollgate.url, apiKey: key });
      expect((await reader.getSubscription(member.id)).usage.used).toBe(0);
    },
  );

  it(
    "runs the README's credits example: 5 reserved, 3 charged; denied, it names the packs",
    { timeout: SLOW_MS },
    async () => {
      const { key } = await tollgate.createApiKey(['runs:authorize', 'runs:settle', 'subscriptions:read']);
      const user = await tollgate.registerUser();
      await typecheck; // emits out/
      const example = examples.find(({ code }) => code.includes('settleRun('));
      if (!example) throw new Error('README.md has no credits example');
      const env = { TOLLGATE_URL: tollgate.url, TOLLGATE_API_KEY: key };
      const settled = await consumer.node(emitted(example), [user.id], env);
      expect(settled, settled.output).toMatchObject({ code: 0 });
      expect(settled.output).toMatch(/task-\S+: charged 3 of the 5 reserved/);
      const reader = createTollgateClient({ url: tollgate.url, apiKey: key });
      expect((await reader.getSubscription(user.id)).usage.used).toBe(3);

      // 3 of FREE's 10 used: 5 more fit once, not twice.
      expect((await consumer.node(emitted(example), [user.id], env)).output).toMatch(/charged 3/);
      const denied = await consumer.node(emitted(example), [user.id], env);
      expect(denied, denied.output).toMatchObject({ code: 0 });
      expect(denied.output).toContain(
        'denied (USAGE_LIMIT_REACHED): buy 100 runs for $10, 1,000 runs for $80 at http://app.tollgate.test/settings/subscription?buy=1',
      );
    },
  );

  it(
    "serves the README's requireRun example: a task charges one run, its retry none",
    { timeout: SLOW_MS },
    async () => {
      await typecheck; // emits out/
      const { key } = await tollgate.createApiKey(['runs:authorize', 'runs:release', 'subscriptions:read']);
      const user = await tollgate.registerUser();
      const example = examples.find(({ code }) => code.includes('requireRun('));
      if (!example) throw new Error('README.md has no requireRun example');
      const service = await consumer.start(
        emitted(example),
        { TOLLGATE_URL: tollgate.url, TOLLGATE_API_KEY: key, PORT: '0' },
        /POST http:\/\/localhost:(\d+)\/tasks/,
      );
      try {
        const runId = newRunId();
        const postTask = async () => {
          const response = await fetch(`http://127.0.0.1:${service.ready[1]}/tasks`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-user-id': user.id },
            body: JSON.stringify({ runId, prompt: 'Summarize the open invoices' }),
          });
          return { status: response.status, body: (await response.json()) as Record<string, unknown> };
        };
        const first = await postTask();
        expect(first, service.output()).toMatchObject({
          status: 202,
          body: { task: { id: `task_${runId}`, prompt: 'Summarize the open invoices' }, remaining: 9 },
        });
        // The client's retry: answered by onAlreadyStarted with the same task, nothing charged.
        const retry = await postTask();
        expect(retry, service.output()).toMatchObject({
          status: 200,
          body: { task: { id: `task_${runId}` }, state: 'started' },
        });
        const reader = createTollgateClient({ url: tollgate.url, apiKey: key });
        expect((await reader.getSubscription(user.id)).usage.used).toBe(1);
      } finally {
        await service.stop();
      }
    },
  );
});
