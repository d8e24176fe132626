import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/**
 * PGlite is a single-user PostgreSQL: two processes opening one data folder (a running server and a
 * CLI, or two servers) would both write to it and corrupt it. `<dataDir>.lock`, beside the folder, holds
 * the pid of the process that has it open. A lock whose process is gone (a crash) is taken over.
 */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly lockFile: string,
    readonly pid: number,
  ) {
    super(
      `The PGlite data folder ${dataDir} is in use by process ${pid}${pid === process.pid ? ' (this process)' : ''}: ` +
        'an embedded database can be opened by one process at a time. Stop the Tollgate server using it ' +
        `(or run this against PostgreSQL with DATABASE_URL). If no such process is running, delete ${lockFile}.`,
    );
  }
}

export interface DataDirLock {
  readonly lockFile: string;
  release(): Promise<void>;
}

/** Lock files this process holds: the same folder opened twice in one process is refused too. */
const heldByThisProcess = new Set<string>();

export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const lockFile = `${resolve(dataDir)}.lock`;
  if (heldByThisProcess.has(lockFile)) throw new DataDirLockedError(dataDir, lockFile, process.pid);
  const content = `${process.pid}\n${randomBytes(8).toString('hex')}\n`;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (await createExclusively(lockFile, content)) {
      heldByThisProcess.add(lockFile);
      return { lockFile, release: once(() => release(lockFile, content)) };
    }
    const holder = await readLock(lockFile);
    if (holder === null) continue; // removed meanwhile: try again
    // Our own pid but not in our set: left by an earlier process that had the same pid (pid 1 in a
    // container), so it is stale like any other dead holder's.
    const isStale = holder.pid === process.pid || !isProcessAlive(holder.pid);
    if (!isStale) throw new DataDirLockedError(dataDir, lockFile, holder.pid);
    await takeOverStale(lockFile, holder.content);
  }
  throw new Error(`Could not take the lock ${lockFile}: it keeps changing hands`);
}

/** The content is written before the file appears under its name (link), so readers never see it half-written. */
async function createExclusively(lockFile: string, content: string): Promise<boolean> {
  const temporary = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, content, { mode: 0o600 });
  try {
    await link(temporary, lockFile);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

async function readLock(lockFile: string): Promise<{ pid: number; content: string } | null> {
  let content: string;
  try {
    content = await readFile(lockFile, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
  const pid = Number.parseInt(content, 10);
  // Unreadable content can't name a live holder: treat it as stale.
  return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : 0, content };
}

/**
 * Moves the stale lock aside (rename is atomic: of two processes taking over at once, one moves it).
 * Should what was moved turn out to be a fresh lock that replaced the stale one meanwhile, it is put
 * back for its owner.
 */
async function takeOverStale(lockFile: string, staleContent: string): Promise<void> {
  const aside = `${lockFile}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockFile, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => staleContent);
  if (moved !== staleContent) await link(aside, lockFile).catch(() => {});
  await rm(aside, { force: true });
}

async function release(lockFile: string, content: string): Promise<void> {
  heldByThisProcess.delete(lockFile);
  const current = await readFile(lockFile, 'utf8').catch(() => null);
  if (current === content) await rm(lockFile, { force: true });
}

function isProcessAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return errorCode(error) === 'EPERM';
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function once(action: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= action());
}
