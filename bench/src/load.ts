import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult, LoadSpec, PreparedRequest } from './load-spec';

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

/** Runs autocannon in a child process against `spec` and returns its summary. */
export async function runLoad(spec: LoadSpec, prepared?: PreparedRequest[]): Promise<LoadResult> {
  const folder = await mkdtemp(join(tmpdir(), 'tollgate-bench-'));
  try {
    const preparedFile = prepared ? join(folder, 'prepared.json') : undefined;
    if (preparedFile) await writeFile(preparedFile, JSON.stringify(prepared));
    const specFile = join(folder, 'spec.json');
    await writeFile(specFile, JSON.stringify({ ...spec, ...(preparedFile ? { preparedFile } : {}) }));
    const stdout = await runChild(process.execPath, ['--import', 'tsx', WORKER, specFile]);
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as LoadResult;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function runChild(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`load worker exited ${code}: ${err.slice(0, 500)}`)),
    );
  });
}
