import { defineConfig } from 'tsdown';

/**
 * The published build: ESM + one bundled .d.ts. `dependencies` stay imports; the private workspace
 * packages (@tollgate/domain's plan catalog and 402 schema, @tollgate/api's router types) are
 * devDependencies, so they are bundled: the tarball depends on nothing unpublished.
 */
export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  dts: { tsconfig: 'tsconfig.build.json' },
  clean: true,
  sourcemap: false,
  outDir: 'dist',
  // @tollgate/domain declares no sideEffects: without this, its Stripe parsers (zod schemas built at
  // module top level) would stay in the bundle though the SDK exports none of them.
  treeshake: { moduleSideEffects: false },
  deps: {
    // The router's declarations are emitted from @tollgate/api's router files, whose runtime imports
    // reach the server's packages: never parse those (slow, and nothing of them is exported).
    neverBundle: [/^@tollgate\/(db|stripe-emulator)/, /^(drizzle-orm|pg|@electric-sql|stripe|jose|@node-rs)/],
  },
});
