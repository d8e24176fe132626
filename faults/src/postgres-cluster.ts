import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of the suite's own: initdb'd in a temp folder, on a random free port, with the
 * machine's binaries. Only this cluster is ever stopped or restarted, so suites running at the same
 * time against the machine's PostgreSQL are not disturbed.
 */
export interface PostgresCluster {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> (trust auth). */
  url(database?: string): string;
  /** Starts the cluster and waits until it accepts connections. */
  start(): Promise<void>;
  /** `fast`: connections are terminated (57P01) and the server shuts down cleanly; `immediate`: a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** A new database on the cluster; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs one statement as the superuser on `database` and returns its rows. */
  query<Row extends Record<string, unknown>>(
    database: string,
    text: string,
    values?: unknown[],
  ): Promise<Row[]>;
  /** The server log so far (for failure messages). */
  log(): string;
  /** Stops the cluster and removes its folder. */
  destroy(): Promise<void>;
}

/** The newest PostgreSQL binaries installed (Debian layout), or PG_BIN_DIR. */
export function postgresBinDir(): string {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (!newest) throw new Error(`no PostgreSQL binaries under ${root} (set PG_BIN_DIR)`);
  return join(root, newest, 'bin');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function createPostgresCluster(): Promise<PostgresCluster> {
  const binDir = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-faults-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  // PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
  const isRoot = userInfo().uid === 0;
  if (isRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const asOwner = (binary: string, args: string[]) =>
    isRoot
      ? run('runuser', ['-u', 'postgres', '--', join(binDir, binary), ...args])
      : run(join(binDir, binary), args);

  await asOwner('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '--encoding=UTF8',
    '--locale=C',
  ]);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // A throwaway cluster: durability is not what is tested here, speed on a shared machine is.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=60',
  ].join(' ');
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;

  async function withClient<T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: url(database) });
    client.on('error', () => {});
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  const cluster: PostgresCluster = {
    port,
    url,
    async start() {
      await asOwner('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
    },
    async stop(mode = 'fast') {
      await asOwner('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    async createDatabase(name) {
      await withClient('postgres', (client) => client.query(`create database "${name}"`));
      return url(name);
    },
    query: (database, text, values) =>
      withClient(database, async (client) => (await client.query(text, values)).rows),
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async destroy() {
      await asOwner('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
