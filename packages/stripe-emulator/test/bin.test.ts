import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The package's `bin`, run the way npm, npx or a user would: plain `node`, outside the workspace's
// directory, with no tsx on the command line.
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
};
const bin = join(packageDir, manifest.bin['tollgate-stripe-emulator'] ?? '');

describe('the tollgate-stripe-emulator bin', () => {
  it('is a JavaScript file that plain node runs: --help prints the usage', () => {
    expect(bin).toMatch(/\.m?js$/);
    const result = spawnSync(process.execPath, [bin, '--help'], { cwd: tmpdir(), encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: tollgate-stripe-emulator');
  });

  it('starts on port 0, serves the Stripe API, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, '--port', '0', '--json'], {
      cwd: tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const ready = await new Promise<{ url: string; prices: { BASIC: string } }>((resolve, reject) => {
        let output = '';
        const timer = setTimeout(() => reject(new Error(`no READY line in 20 s:\n${output}`)), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const line = output.split('\n').find((candidate) => candidate.startsWith('STRIPE_EMULATOR_READY '));
          if (!line) return;
          clearTimeout(timer);
          resolve(JSON.parse(line.slice('STRIPE_EMULATOR_READY '.length)));
        });
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });
      const response = await fetch(`${ready.url}/v1/prices/${ready.prices.BASIC}`, {
        headers: { authorization: 'Bearer sk_test_bin' },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: ready.prices.BASIC, object: 'price' });

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
