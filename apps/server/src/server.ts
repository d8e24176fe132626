import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createHttpRunner,
  createJsonLogger,
  createLocalRunner,
  createServices,
  type ApiDeps,
  type Logger,
} from '@tollgate/api';
import { createDb, type DbHandle } from '@tollgate/db';
import { createApp } from './app';
import { apiConfigOf, pgliteDataDir } from './config';
import type { Env } from './env';

export interface RunningServer {
  url: string;
  port: number;
  deps: ApiDeps;
  db: DbHandle;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Reuse an open database (tests); otherwise one is created from the env. */
  db?: DbHandle;
  now?: () => Date;
}

/** Builds everything from a validated env and listens. Used by main.ts and by tests. */
export async function startServer(env: Env, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createJsonLogger();
  const db =
    options.db ??
    (await createDb(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { dataDir: pgliteDataDir(env) }));
  const deps: ApiDeps = {
    db: db.db,
    config: apiConfigOf(env),
    now: options.now ?? (() => new Date()),
    runner: env.AGENT_BACKEND_URL ? createHttpRunner(env.AGENT_BACKEND_URL) : createLocalRunner(),
    logger,
  };
  const app = createApp({
    deps,
    services: createServices(deps),
    trustProxy: env.TRUST_PROXY,
    isLoggingRequests: env.LOG_REQUESTS,
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(env.PORT, env.HOST, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const { port } = server.address() as AddressInfo;
  const isOwnDb = !options.db;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    deps,
    db,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (isOwnDb) await db.close();
    },
  };
}
