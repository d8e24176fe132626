import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sdkDir = fileURLToPath(new URL('../..', import.meta.url));

export interface CommandResult {
  code: number;
  output: string;
}

/** Runs a command, answering its exit code and its stdout + stderr instead of throwing. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    const code = typeof failed.code === 'number' ? failed.code : 1;
    return { code, output: `${failed.stdout ?? ''}${failed.stderr ?? failed.message}` };
  }
}

async function expectSuccess(result: Promise<CommandResult>, what: string): Promise<string> {
  const { code, output } = await result;
  if (code !== 0) throw new Error(`${what} failed (exit ${code}):\n${output.slice(-4000)}`);
  return output;
}

export interface PackedSdk {
  tarball: string;
  /** Paths inside the tarball, without the `package/` prefix. */
  files: string[];
  manifest: Record<string, unknown>;
  readFile(path: string): Promise<string>;
  remove(): Promise<void>;
}

/** `pnpm pack` (its prepack builds dist/ with tsdown), the way the package is published. */
export async function packSdk(): Promise<PackedSdk> {
  const destination = await mkdtemp(join(tmpdir(), 'tollgate-sdk-pack-'));
  await expectSuccess(
    runCommand('pnpm', ['pack', '--pack-destination', destination], { cwd: sdkDir, timeoutMs: 300_000 }),
    'pnpm pack',
  );
  const [name] = (await readdir(destination)).filter((file) => file.endsWith('.tgz'));
  if (!name) throw new Error(`pnpm pack wrote no tarball into ${destination}`);
  const tarball = join(destination, name);
  const listing = await expectSuccess(runCommand('tar', ['-tzf', tarball], { cwd: destination }), 'tar -t');
  const files = listing
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''));
  const readPacked = (path: string) =>
    expectSuccess(runCommand('tar', ['-xzOf', tarball, `package/${path}`], { cwd: destination }), path);
  const manifest = JSON.parse(await readPacked('package.json')) as Record<string, unknown>;
  return {
    tarball,
    files,
    manifest,
    readFile: readPacked,
    remove: () => rm(destination, { recursive: true, force: true }),
  };
}

export interface ConsumerProject {
  dir: string;
  /** `tsc`: type-checks every source file in one program and emits them into `out/` (even on errors). */
  typecheck(): Promise<CommandResult>;
  node(script: string, args: readonly string[], env: Record<string, string>): Promise<CommandResult>;
  /** Starts a long-running script; resolves once its output matches `ready`. */
  start(script: string, env: Record<string, string>, ready: RegExp): Promise<RunningScript>;
  remove(): Promise<void>;
}

export interface RunningScript {
  /** The match of `ready` in the script's output. */
  ready: RegExpExecArray;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A project outside the workspace (under the OS temp dir) that installs the tarball with plain npm
 * from the registry, like a user's (with express, for requireRun): strict TypeScript with skipLibCheck
 * off, so the SDK's bundled declarations are checked too. Every source file is a module of its own,
 * and one tsc run checks them all (each run loads the SDK's declarations: the slow part).
 */
export async function createConsumerProject(
  tarball: string,
  sources: Record<string, string>,
): Promise<ConsumerProject> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-sdk-consumer-'));
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }, null, 2),
  );
  const compilerOptions = {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    types: ['node'],
    moduleDetection: 'force',
    outDir: 'out',
  };
  for (const [file, text] of Object.entries(sources)) await writeFile(join(dir, file), text);
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions, files: Object.keys(sources) }),
  );
  await expectSuccess(
    runCommand(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        tarball,
        'typescript@~5.9.3',
        '@types/node@^20.19.0',
        '@types/express@^5.0.0',
        'express@^5.1.0',
      ],
      { cwd: dir, timeoutMs: 300_000 },
    ),
    'npm install',
  );
  return {
    dir,
    typecheck: () =>
      runCommand(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: dir }),
    node: (script, args, env) =>
      runCommand(process.execPath, [script, ...args], { cwd: dir, env: { ...process.env, ...env } }),
    start: (script, env, ready) => startScript(dir, script, env, ready),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

const START_TIMEOUT_MS = 30_000;

async function startScript(
  cwd: string,
  script: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<RunningScript> {
  const child = spawn(process.execPath, [script], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
  };
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} not ready after ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = ready.exec(output);
      if (!found) return;
      clearTimeout(timer);
      resolve(found);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw new Error(`${(error as Error).message}:\n${output.slice(-4000)}`);
  });
  return { ready: match, output: () => output, stop };
}

export interface ReadmeExample {
  /** Its file in the consumer project: `readme-<n>.ts`, n counting the README's ```ts blocks from 1. */
  file: string;
  /** The README line of the block's first line of code. */
  line: number;
  code: string;
}

/**
 * Every ```ts block of the README, read at test time: each is a complete file (imports at the top),
 * a module of its own in the consumer project. The first one, the service example, follows the
 * install line.
 */
export async function readmeExamples(): Promise<ReadmeExample[]> {
  const readme = await readFile(join(sdkDir, 'README.md'), 'utf8');
  if (!/^# @tollgate\/sdk\n+```bash\nnpm install @tollgate\/sdk\n```\n+```ts\n/.test(readme))
    throw new Error('README.md does not start with the install line and a ```ts example');
  const examples: ReadmeExample[] = [];
  for (const match of readme.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)) {
    const line = readme.slice(0, match.index).split('\n').length + 1;
    examples.push({ file: `readme-${examples.length + 1}.ts`, line, code: match[1] ?? '' });
  }
  return examples;
}

/** tsc's `readme-<n>.ts(line,column)` locations as the README's `README.md:line:column`. */
export function inReadmeLines(output: string, examples: readonly ReadmeExample[]): string {
  return output.replace(
    /\b(readme-\d+\.ts)\((\d+),(\d+)\)/g,
    (found, file: string, line: string, column: string) => {
      const example = examples.find((candidate) => candidate.file === file);
      return example ? `README.md:${example.line + Number(line) - 1}:${column}` : found;
    },
  );
}

export interface TscError {
  /** The file as tsc names it (relative to the project), or null for an error outside any file. */
  file: string | null;
  line: number | null;
}

/** The errors in tsc's output, one per `error TS…` line. */
export function tscErrors(output: string): TscError[] {
  return [...output.matchAll(/^(?:(.+?)\((\d+),\d+\): )?error TS\d+/gm)].map((match) => ({
    file: match[1] ?? null,
    line: match[2] ? Number(match[2]) : null,
  }));
}
