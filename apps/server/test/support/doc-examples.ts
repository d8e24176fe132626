import { spawn } from 'node:child_process';

/** One runnable shell example of a document, with where it is (for the failure message). */
export interface ShellExample {
  line: number;
  code: string;
}

/** Marks a ```bash block that is not run, with the reason: `<!-- example: not run (starts the server) -->`. */
const NOT_RUN = /<!--\s*example:\s*not run\b[^>]*-->\s*$/;

/**
 * The ```bash / ```sh blocks of a Markdown document, in order. Every such block is run unless the line
 * right above it says `<!-- example: not run (why) -->`; `skipped` lists those for the report.
 */
export function shellBlocksOf(markdown: string): { run: ShellExample[]; skipped: ShellExample[] } {
  const lines = markdown.split('\n');
  const run: ShellExample[] = [];
  const skipped: ShellExample[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    if (!/^\s*```(bash|sh)\s*$/.test(lines[index] ?? '')) continue;
    const indent = /^\s*/.exec(lines[index] ?? '')?.[0].length ?? 0;
    const start = index;
    const body: string[] = [];
    for (index += 1; index < lines.length && !/^\s*```\s*$/.test(lines[index] ?? ''); index += 1) {
      body.push((lines[index] ?? '').slice(indent));
    }
    const example = { line: start + 1, code: body.join('\n') };
    const previous = lines.slice(0, start).findLast((line) => line.trim() !== '') ?? '';
    (NOT_RUN.test(previous) ? skipped : run).push(example);
  }
  return { run, skipped };
}

/** The text of every `<pre><code>` block of an HTML page, unescaped, in order. */
export function codeBlocksOfHtml(html: string): string[] {
  return [...html.matchAll(/<pre><code>([\s\S]*?)<\/code><\/pre>/g)].map((match) =>
    (match[1] ?? '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the examples as one bash script (later examples use the variables earlier ones set), stopping
 * at the first failing command (`set -euo pipefail`); each example announces itself on stderr, so the
 * last announcement names the one that failed.
 */
export function runShellExamples(
  examples: readonly ShellExample[],
  env: Record<string, string>,
  source: string,
  timeoutMs = 60_000,
): Promise<ScriptResult> {
  const script = [
    'set -euo pipefail',
    ...examples.map(
      ({ line, code }) => `echo ${JSON.stringify(`--- ${source}:${line}`)} >&2\n${code}\necho >&2`,
    ),
  ].join('\n');
  return new Promise((resolve, reject) => {
    // Its own process group, so a hung example is ended with everything it started.
    const child = spawn('bash', ['-c', script], {
      detached: true,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    });
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** What to print when a script failed: the example that failed and what it said. */
export function describeFailure(result: ScriptResult): string {
  const announced = [...result.stderr.matchAll(/^--- (.+)$/gm)].at(-1)?.[1] ?? '(before the first example)';
  return `example at ${announced} failed (exit ${result.code}):\n${result.stderr.slice(-2000)}\n${result.stdout.slice(-2000)}`;
}
