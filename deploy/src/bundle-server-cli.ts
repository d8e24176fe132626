import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleServer } from './bundle-server';

// Used by apps/server/Dockerfile: `pnpm --filter @tollgate/deploy-tests run bundle-server /out`.
const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: bundle-server <output directory>');
  process.exit(2);
}
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
await bundleServer({ repoRoot, outDir: resolve(outDir) });
console.log(`server bundled into ${resolve(outDir)} (run: node dist/main.mjs)`);
