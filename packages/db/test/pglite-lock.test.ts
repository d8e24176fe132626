import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createUser, DataDirLockedError, findUserById } from '../src';

// A PGlite folder is a single-user PostgreSQL: a second process (a CLI next to a running server) opening
// it would corrupt it. `<dataDir>.lock` holds the pid of the process that has it open.
describe('PGlite data folder lock', () => {
  let tmpRoot: string;
  let dataDir: string;

  beforeAll(async () => {
    tmpRoot = await mkdtemp(join(tmpdir(), 'tollgate-lock-'));
    dataDir = join(tmpRoot, 'pglite');
  });
  afterAll(async () => {
    await rm(tmpRoot, { recursive: true, force: true });
  });

  it('refuses a second open while the first is open, with a clear error; works again after close', async () => {
    const first = await createDb({ dataDir });
    try {
      expect(await readFile(`${dataDir}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid}\\n`));
      await createUser(first.db, { id: 'locked-user', email: 'lock@example.test' });
      const second = createDb({ dataDir });
      await expect(second).rejects.toBeInstanceOf(DataDirLockedError);
      await expect(second).rejects.toThrow(/is in use by process \d+.*one process at a time/);
    } finally {
      await first.close();
    }
    await expect(readFile(`${dataDir}.lock`, 'utf8')).rejects.toThrow(/ENOENT/);

    const reopened = await createDb({ dataDir });
    try {
      expect(await findUserById(reopened.db, 'locked-user')).toMatchObject({ email: 'lock@example.test' });
    } finally {
      await reopened.close();
    }
  });

  it('refuses a folder held by another live process', async () => {
    // The parent process (vitest's) is alive and is not this one.
    await writeFile(`${dataDir}.lock`, `${process.ppid}\nsomeone-else\n`);
    try {
      await expect(createDb({ dataDir })).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
    } finally {
      await rm(`${dataDir}.lock`, { force: true });
    }
  });

  it('takes over a lock left by a process that is gone (a crash)', async () => {
    const exited = spawnSync(process.execPath, ['-e', '']);
    expect(exited.status).toBe(0);
    await writeFile(`${dataDir}.lock`, `${exited.pid}\ncrashed\n`);
    const handle = await createDb({ dataDir });
    try {
      expect(await readFile(`${dataDir}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid}\\n`));
      expect(await findUserById(handle.db, 'locked-user')).not.toBeNull();
    } finally {
      await handle.close();
    }
  });
});
