import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

export interface NginxCheck {
  isValid: boolean;
  output: string;
}

// `-e` keeps nginx away from its compiled-in /var/log path before the config's error_log applies;
// `-g 'daemon off;'` is exactly how the official image starts it (so the config must not say it).
function nginxArgs(prefix: string, configFile: string, errorLog: string): string[] {
  return ['-p', prefix, '-c', configFile, '-e', errorLog, '-g', 'daemon off;'];
}

/** `nginx -t`: parses the config, loads certificates, opens files; nothing listens. */
export function checkNginxConfig(prefix: string, configFile: string, errorLog: string): NginxCheck {
  const result = spawnSync('nginx', ['-t', ...nginxArgs(prefix, configFile, errorLog)], {
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return { isValid: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

export interface RunningNginx {
  stop(): Promise<void>;
}

/** Starts nginx in the foreground and resolves once `readyPort` accepts connections. */
export async function startNginx(
  prefix: string,
  configFile: string,
  errorLog: string,
  readyPort: number,
): Promise<RunningNginx> {
  const child = spawn('nginx', nginxArgs(prefix, configFile, errorLog), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let hasExited = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      hasExited = true;
      resolve(code);
    }),
  );

  const isReady = await waitForPort(readyPort, 10_000, () => hasExited);
  if (!isReady) {
    await stopChild(child, exited);
    throw new Error(`nginx did not start:\n${stderr}`);
  }
  return { stop: () => stopChild(child, exited) };
}

// SIGTERM makes the master stop its workers before exiting; SIGKILL would orphan them.
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000));
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

async function waitForPort(port: number, timeoutMs: number, hasGivenUp: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !hasGivenUp()) {
    if (await canConnect(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
