import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_FOLDER } from '../src';

/**
 * A migrations folder holding only the first `count` journal entries: the schema as it was before a
 * migration, so a test can write rows in the old shape and then migrate them. `remove()` deletes it.
 */
export async function migrationsFolderBefore(
  count: number,
): Promise<{ folder: string; remove(): Promise<void> }> {
  const folder = await mkdtemp(join(tmpdir(), 'tollgate-migrations-'));
  await mkdir(join(folder, 'meta'));
  const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  const kept = journal.entries.slice(0, count);
  for (const name of await readdir(MIGRATIONS_FOLDER)) {
    if (kept.some((entry) => `${entry.tag}.sql` === name)) {
      await copyFile(join(MIGRATIONS_FOLDER, name), join(folder, name));
    }
  }
  await writeFile(join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: kept }));
  return { folder, remove: () => rm(folder, { recursive: true, force: true }) };
}
