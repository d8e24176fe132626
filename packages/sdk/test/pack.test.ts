import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgateClient } from '../src';
import {
  createConsumerProject,
  packSdk,
  readmeServiceExample,
  type ConsumerProject,
  type PackedSdk,
} from './support/packed-sdk';
import { startTestTollgate, type TestTollgate } from './support/tollgate-server';

// Procedure names and inputs are checked in the consumer: each line must fail to compile.
const WRONG_CALLS = `import { createTollgateClient } from '@tollgate/sdk';

const tollgate = createTollgateClient({ url: 'http://localhost:3000', apiKey: 'tg_sk_example' });
await tollgate.trpc.usage.authorize.mutate({ userId: 'user_123', runid: 'task-1' });
await tollgate.trpc.usage.authorise.mutate({ userId: 'user_123', runId: 'task-1' });
await tollgate.authorizeRun({ userId: 'user_123' });
const remaining: string = (await tollgate.authorizeRun({ runId: 'task-1' })).remaining;
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

const ALLOWED_DTS_IMPORTS = ['@trpc/client', '@trpc/server', 'express', 'zod'];

describe('the published package (pnpm pack → npm install outside the workspace)', () => {
  let packed: PackedSdk;
  let consumer: ConsumerProject;
  let tollgate: TestTollgate;

  beforeAll(async () => {
    packed = await packSdk();
    const service = await readmeServiceExample();
    [consumer, tollgate] = await Promise.all([
      createConsumerProject(packed.tarball, {
        'service.ts': service,
        'typed.ts': TYPED_CALLS,
        'wrong.ts': WRONG_CALLS,
      }),
      startTestTollgate(),
    ]);
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
    expect([...new Set(jsImports)].sort()).toEqual(['@trpc/client', 'zod']);
  });

  it("type-checks the README's service example and typed calls with tsc", { timeout: SLOW_MS }, async () => {
    for (const tsconfig of ['tsconfig.service.json', 'tsconfig.typed.json']) {
      const result = await consumer.typecheck(tsconfig);
      expect(result, result.output).toMatchObject({ code: 0 });
    }
  });

  it('reports every wrong procedure name and input', { timeout: SLOW_MS }, async () => {
    const result = await consumer.typecheck('tsconfig.wrong.json');
    expect(result.code).not.toBe(0);
    const errorLines = [...result.output.matchAll(/wrong\.ts\((\d+),\d+\): error/g)].map((match) =>
      Number(match[1]),
    );
    expect([...new Set(errorLines)].sort()).toEqual([4, 5, 6, 7]);
  });

  it("runs the README's service example against a real Tollgate", { timeout: SLOW_MS }, async () => {
    const { key } = await tollgate.createApiKey(['runs:authorize', 'subscriptions:read']);
    const user = await tollgate.registerUser();
    const result = await consumer.node('out/service.js', [user.id], {
      TOLLGATE_URL: tollgate.url,
      TOLLGATE_API_KEY: key,
    });
    expect(result, result.output).toMatchObject({ code: 0 });
    expect(result.output).toMatch(/task-\S+ started, 9 of 10 left until \d{4}-\d\d-\d\dT/);
    const reader = createTollgateClient({ url: tollgate.url, apiKey: key });
    expect((await reader.getSubscription(user.id)).usage.used).toBe(1);
  });
});
