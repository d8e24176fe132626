import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The names of the server's settings, read from the source of apps/server/src/env.ts (the schema
 * is not part of @tollgate/server's public exports). Reading the source keeps .env.example honest:
 * a setting added to the schema and not documented fails the deploy tests.
 */
export function serverSettingNames(repoRoot: string): string[] {
  const source = readFileSync(join(repoRoot, 'apps/server/src/env.ts'), 'utf8');
  const schema = /export const envSchema = z\.object\(\{\n([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (!schema)
    throw new Error('apps/server/src/env.ts: `export const envSchema = z.object({ … });` not found');
  return [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1] ?? '');
}
