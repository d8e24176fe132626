import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'apps', 'server');

export const FAULTS_JWT_SECRET = 'fault-suite-secret-that-is-at-least-32-characters';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  /** The exit code or signal once it exited; undefined while it runs. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * A real Tollgate server process (`tsx src/main.ts`, as `npm start` runs it) on a random port over
 * `databaseUrl`, with the in-process Stripe emulator on a random port too. Resolves once it listens.
 */
export async function startServerProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: FAULTS_JWT_SECRET,
      // The load's users are a host platform's (its tokens carry this iss): a service key naming one
      // for the first time creates it, as on a deployment behind AI-Manus.
      JWT_ISSUER: 'fault-suite-host',
      APP_URL: 'http://app.tollgate.test',
      LOG_REQUESTS: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exitPromise.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited while starting (${JSON.stringify(exited)}):\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    exit: () => exited,
    async kill(signal) {
      if (exited) return;
      child.kill(signal);
      await exitPromise;
    },
  };
}
