import { spawn } from 'node:child_process';

export interface RunningPrometheus {
  url: string;
  /** An instant query through the HTTP API: the result vector (throws on a query error). */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** GET on the HTTP API (`/api/v1/…`): its `data`. */
  api<T>(path: string): Promise<T>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Debian's Prometheus in the foreground on 127.0.0.1:`port`, its TSDB in `dataDir`; resolves once
 * /-/ready answers. Nothing of the packaged service (/etc/prometheus, systemd) is used.
 */
export async function startPrometheus(options: {
  configFile: string;
  dataDir: string;
  port: number;
}): Promise<RunningPrometheus> {
  const child = spawn(
    'prometheus',
    [
      `--config.file=${options.configFile}`,
      `--storage.tsdb.path=${options.dataDir}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let hasExited = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      hasExited = true;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    if (hasExited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  async function api<T>(path: string): Promise<T> {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? response.status}`);
    return body.data;
  }

  const deadline = Date.now() + 30_000;
  while (!hasExited && Date.now() < deadline) {
    const isReady = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (isReady) {
      return {
        url,
        api,
        query: async (expr) =>
          (
            await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
              `/api/v1/query?query=${encodeURIComponent(expr)}`,
            )
          ).result,
        output: () => output,
        stop,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`Prometheus did not become ready:\n${output}`);
}
