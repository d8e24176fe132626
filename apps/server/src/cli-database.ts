import { createDb, DataDirLockedError, type Database } from '@tollgate/db';
import { pgliteDataDir } from './config';
import { EnvError, readEnv } from './env';

/**
 * Opens the database the server uses (DATABASE_URL, or the embedded PGlite folder) for an operator's
 * CLI command, runs `work` on it and closes it; answers the process exit code. A bad environment or an
 * embedded folder that a running server holds is a message and exit code 1, not a stack trace.
 */
export async function withCliDatabase(
  printError: (line: string) => void,
  work: (db: Database) => Promise<number>,
): Promise<number> {
  try {
    const env = readEnv();
    const handle = await createDb(
      env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, poolSize: 2 } : { dataDir: pgliteDataDir(env) },
    );
    try {
      return await work(handle.db);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof EnvError || error instanceof DataDirLockedError) {
      printError(error.message);
      return 1;
    }
    throw error;
  }
}
