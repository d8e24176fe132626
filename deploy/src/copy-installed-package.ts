import { cpSync, existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

interface PackageManifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/**
 * Copies an installed package and, recursively, the dependencies it has installed into a flat
 * `targetNodeModules`, dereferencing pnpm's symlinks. Optional dependencies that are not installed
 * (prebuilt binaries for other platforms) are skipped; a missing required one is an error.
 * Versions come from what the lockfile installed: nothing is fetched.
 */
export function copyInstalledPackage(name: string, resolveFrom: string, targetNodeModules: string): void {
  const copied = new Map<string, string>();
  const visit = (packageName: string, from: string, isOptional: boolean) => {
    const sourceDir = findPackageDir(packageName, from);
    if (!sourceDir) {
      if (isOptional) return;
      throw new Error(`${packageName} is not installed (resolved from ${from}): run pnpm install`);
    }
    const manifest = readManifest(sourceDir);
    const seen = copied.get(packageName);
    if (seen === manifest.version) return;
    if (seen)
      throw new Error(`${packageName}: needs both ${seen} and ${manifest.version}; flat copy impossible`);
    copied.set(packageName, manifest.version);
    cpSync(sourceDir, join(targetNodeModules, packageName), { recursive: true, dereference: true });
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, sourceDir, false);
    for (const dependency of Object.keys(manifest.optionalDependencies ?? {}))
      visit(dependency, sourceDir, true);
  };
  visit(name, resolveFrom, false);
}

/** Node's lookup: `<ancestor>/node_modules/<name>` for each ancestor that is not itself node_modules. */
function findPackageDir(name: string, from: string): string | null {
  let dir = realpathSync(from);
  for (;;) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function readManifest(packageDir: string): PackageManifest {
  return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as PackageManifest;
}
