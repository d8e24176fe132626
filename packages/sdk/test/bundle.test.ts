import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
// Input paths in the metafile are relative to this: `packages/sdk/src/…`, `node_modules/.pnpm/…`.
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Bundles the SDK as a browser app would (the web app imports it) and lists what got in. */
async function bundleSdk() {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    metafile: true,
    absWorkingDir: repoRoot,
    logLevel: 'silent',
  });
  const code = result.outputFiles.map((file) => file.text).join('\n');
  return { code, inputs: Object.keys(result.metafile.inputs) };
}

// Server-side code that must never reach a bundle: it would leak internals and fail in a browser.
const FORBIDDEN_INPUTS = [
  /packages\/api\//,
  /packages\/db\//,
  /apps\/server\//,
  /node_modules\/(\.pnpm\/)?drizzle-orm/,
  /node_modules\/(\.pnpm\/)?(pg|pg-[a-z]+)[@/]/,
  /@electric-sql/,
  /node_modules\/(\.pnpm\/)?express[@/]/,
  /node_modules\/(\.pnpm\/)?stripe[@/]/,
  /node_modules\/(\.pnpm\/)?jose[@/]/,
  /@node-rs/,
  /@trpc\/server\/dist\/adapters/,
];

describe('the SDK bundle', () => {
  it('holds the client and the domain rules but no server code', async () => {
    const { code, inputs } = await bundleSdk();

    expect(inputs.some((input) => input.includes('packages/sdk/src/client.ts'))).toBe(true);
    expect(inputs.some((input) => input.includes('packages/domain/src/plans.ts'))).toBe(true);
    expect(inputs.some((input) => input.includes('@trpc/client'))).toBe(true);
    const leaked = inputs.filter((input) => FORBIDDEN_INPUTS.some((pattern) => pattern.test(input)));
    expect(leaked).toEqual([]);

    // requireRun is in, but Express is not: it only uses Express's types.
    expect(code).toContain('markRunStarted');
    expect(code).not.toMatch(/drizzle/i);
    expect(code).not.toMatch(/from\s*["']express["']|require\(["']express["']\)/);
    expect(code).not.toMatch(/createExpressMiddleware|initTRPC/);
  });
});
