import { execFile } from 'node:child_process';
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
  typecheck(tsconfig: string): Promise<CommandResult>;
  node(script: string, args: readonly string[], env: Record<string, string>): Promise<CommandResult>;
  remove(): Promise<void>;
}

/**
 * A project outside the workspace (under the OS temp dir) that installs the tarball with plain npm
 * from the registry, like a user's: strict TypeScript with skipLibCheck off, so the SDK's bundled
 * declarations are checked too.
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
    outDir: 'out',
  };
  for (const [file, text] of Object.entries(sources)) await writeFile(join(dir, file), text);
  for (const file of Object.keys(sources)) {
    const tsconfig = { compilerOptions, files: [file] };
    await writeFile(join(dir, `tsconfig.${file.replace(/\.ts$/, '')}.json`), JSON.stringify(tsconfig));
  }
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
      ],
      { cwd: dir, timeoutMs: 300_000 },
    ),
    'npm install',
  );
  return {
    dir,
    typecheck: (tsconfig) =>
      runCommand(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', tsconfig], { cwd: dir }),
    node: (script, args, env) =>
      runCommand(process.execPath, [script, ...args], { cwd: dir, env: { ...process.env, ...env } }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The ```ts block right after `npm install @tollgate/sdk` in the README: the service example. */
export async function readmeServiceExample(): Promise<string> {
  const readme = await readFile(join(sdkDir, 'README.md'), 'utf8');
  const match = /npm install @tollgate\/sdk\n```\n+```ts\n([\s\S]*?)\n```/.exec(readme);
  if (!match?.[1]) throw new Error('README.md does not start with the install line and a ```ts example');
  return `${match[1]}\n`;
}
