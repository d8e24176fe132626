import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { copyInstalledPackage } from './copy-installed-package';

/**
 * Packages left out of the bundle and copied, as installed by the lockfile, into the output's
 * node_modules. Everything else (workspace TypeScript and plain JS dependencies) is bundled.
 */
export const RUNTIME_EXTERNALS = [
  // Loads its .wasm and data files from next to its own module URL, which a bundle would break.
  { name: '@electric-sql/pglite', resolveFrom: 'packages/db' },
  // A native addon: index.js picks a prebuilt binary package for the platform at run time.
  { name: '@node-rs/argon2', resolveFrom: 'packages/api' },
  // Reached through mjml → html-minifier; it require()s its own source files by computed paths. Found
  // where pnpm hoists every installed package (node_modules/.pnpm/node_modules): not a direct dependency.
  { name: 'uglify-js', resolveFrom: 'node_modules/.pnpm' },
] as const;

// pg only requires pg-native when asked for the native driver, which the server never does.
const NEVER_LOADED = ['pg-native'];

// The bundle is ESM, but bundled CommonJS (express, pg) calls require() for Node built-ins.
const REQUIRE_SHIM = [
  "import { createRequire as __tollgateCreateRequire } from 'node:module';",
  'const require = __tollgateCreateRequire(import.meta.url);',
].join('\n');

export interface BundleServerOptions {
  repoRoot: string;
  outDir: string;
}

/**
 * Produces a self-contained server directory: `dist/main.mjs` (+ source map), the committed
 * migrations at `drizzle/` (db/src/migrate.ts resolves `../drizzle` from the module URL, which is
 * `dist/` in the bundle), and node_modules holding only the runtime externals.
 * Run it as `node dist/main.mjs` from that directory; nothing else from the workspace is needed.
 */
export async function bundleServer({ repoRoot, outDir }: BundleServerOptions): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  await build({
    entryPoints: [join(repoRoot, 'apps/server/src/main.ts')],
    outfile: join(outDir, 'dist/main.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    external: [...RUNTIME_EXTERNALS.map((external) => external.name), ...NEVER_LOADED],
    banner: { js: REQUIRE_SHIM },
  });

  cpSync(join(repoRoot, 'packages/db/drizzle'), join(outDir, 'drizzle'), { recursive: true });
  for (const external of RUNTIME_EXTERNALS) {
    copyInstalledPackage(external.name, join(repoRoot, external.resolveFrom), join(outDir, 'node_modules'));
  }
  writeFileSync(
    join(outDir, 'package.json'),
    `${JSON.stringify({ name: 'tollgate-server-bundle', private: true, type: 'module' }, null, 2)}\n`,
  );
}
