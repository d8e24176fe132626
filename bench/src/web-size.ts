import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'apps/web/dist');

export interface WebSize {
  isFreshBuild: boolean;
  /** Every JS file of the build, gzipped (level 9), in bytes. */
  allJsGzip: number;
  /** What the billing screen (/settings/subscription) loads: the entry chunk, the view chunk and their static imports. */
  billingJsGzip: number;
  billingChunks: string[];
  /**
   * The operator console's own JS (its lazy route chunks, their static imports, echarts): what staff
   * download on top of the app, never part of the billing screens. Chunks the app's entry already
   * loads are not counted again.
   */
  consoleJsGzip: number;
  consoleChunks: string[];
  /**
   * Console route chunks the billing screens load: must be none. A chunk both import (the spend cap
   * rules the console's actions reuse) is shared billing code, not the console's.
   */
  consoleRoutesInBilling: string[];
}

/** The console's route chunks are named after its views and layout (features/console/…/console-*.vue). */
const CONSOLE_CHUNK = /^console-.+\.js$/;

/** Builds the web app (`pnpm --filter @tollgate/web build`) and weighs its JavaScript. */
export async function measureWebSize(): Promise<WebSize> {
  const isFreshBuild = await run('pnpm', ['--filter', '@tollgate/web', 'build']);
  const assets = join(DIST, 'assets');
  const files = (await readdir(assets)).filter((name) => name.endsWith('.js'));
  const gzipped = new Map<string, number>();
  const sources = new Map<string, string>();
  for (const name of files) {
    const source = await readFile(join(assets, name));
    gzipped.set(name, gzipSync(source, { level: 9 }).length);
    sources.set(name, source.toString('utf8'));
  }
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  const entry = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1];
  const view = files.find((name) => name.startsWith('subscription-settings-view'));
  const billingChunks = closure(
    [entry, view].filter((name): name is string => Boolean(name)),
    sources,
  );
  const entryChunks = new Set(closure(entry ? [entry] : [], sources));
  const consoleChunks = closure(
    files.filter((name) => CONSOLE_CHUNK.test(name)),
    sources,
  ).filter((name) => !entryChunks.has(name));
  const sum = (names: Iterable<string>) =>
    [...names].reduce((total, name) => total + (gzipped.get(name) ?? 0), 0);
  return {
    isFreshBuild,
    allJsGzip: sum(files),
    billingJsGzip: sum(billingChunks),
    billingChunks,
    consoleJsGzip: sum(consoleChunks),
    consoleChunks,
    consoleRoutesInBilling: billingChunks.filter((name) => CONSOLE_CHUNK.test(name)),
  };
}

/** The chunks and everything they import statically (`from "./x.js"` / `import "./x.js"`). */
function closure(start: string[], sources: ReadonlyMap<string, string>): string[] {
  const seen = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    const name = queue.pop();
    if (!name || seen.has(name)) continue;
    seen.add(name);
    const source = sources.get(name) ?? '';
    for (const match of source.matchAll(/(?:from|import)\s*["']\.\/([^"']+\.js)["']/g)) {
      if (match[1]) queue.push(match[1]);
    }
  }
  return [...seen];
}

function run(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'ignore', env: { ...process.env, CI: 'true' } });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}
