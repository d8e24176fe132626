import { spawn } from 'node:child_process';

export interface ServerProcess {
  url: string;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code (SIGKILL after 10 s, then null). */
  stop(): Promise<number | null>;
}

/**
 * Runs `node dist/main.mjs` in a bundled server directory, as the Docker image does, and waits for
 * its readiness endpoint (the image's healthcheck). The environment is exactly `env` (no inheritance), like a container's.
 */
export async function startServerProcess(
  dir: string,
  env: Record<string, string>,
  port: number,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/main.mjs'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const stop = async () => {
    if (exitCode !== undefined) return exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 45_000;
  while (exitCode === undefined && Date.now() < deadline) {
    const isHealthy = await fetch(`${url}/api/v1/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (isHealthy) return { url, output: () => output, stop };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`the bundled server did not become healthy:\n${output}`);
}
