import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerUser, request } from './support/http';
import { TEST_JWT_SECRET } from './support/test-server';
import { waitFor } from './support/wait';

const serverDir = join(import.meta.dirname, '..');
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((cleanup) => cleanup()));

/** An agent backend that takes its time, so requests are in flight when SIGTERM arrives. */
async function startSlowAgent(delayMs: number): Promise<{ url: string; received: () => number }> {
  let received = 0;
  const agent: Server = createServer((_req, res) => {
    received += 1;
    setTimeout(
      () => res.setHeader('content-type', 'application/json').end(JSON.stringify({ reply: 'done slowly' })),
      delayMs,
    );
  });
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => agent.close());
  return { url: `http://127.0.0.1:${(agent.address() as AddressInfo).port}/run`, received: () => received };
}

function startServerProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1] });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`server exited early (${code}):\n${output}`)));
  });
}

describe('graceful shutdown', () => {
  it('finishes in-flight requests after SIGTERM, refuses new ones, and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-shutdown-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const agent = await startSlowAgent(1500);
    const { child, url } = await startServerProcess({
      PORT: '0',
      HOST: '127.0.0.1',
      PGLITE_DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      AGENT_BACKEND_URL: agent.url,
      LOG_REQUESTS: 'false',
    });
    const { accessToken } = await registerUser(url);
    const session = await request<{ id: string }>(url, 'POST', '/api/v1/sessions', {
      token: accessToken,
      body: {},
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    const inFlight = Array.from({ length: 3 }, (_, i) =>
      request(url, 'POST', `/api/v1/sessions/${session.body.id}/runs`, {
        token: accessToken,
        body: { runId: `in-flight-${i}`, message: 'slow task' },
      }),
    );
    await waitFor(() => agent.received() === 3, 'the runs waiting on the agent');
    child.kill('SIGTERM');

    const results = await Promise.all(inFlight);
    expect(results.map((result) => result.status)).toEqual([201, 201, 201]);
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/api/v1/health/live`)).rejects.toThrow();
  });
});

describe('production settings', () => {
  it('refuses to start with a list of what is missing', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: serverDir,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', APP_URL: 'http://insecure.example' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    for (const name of [
      'DATABASE_URL',
      'JWT_SECRET',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
      'STRIPE_PRICE_ID_BASIC',
      'STRIPE_PRICE_ID_PRO',
      'STRIPE_PRICE_ID_TEAM',
      'SMTP_URL',
      'MAIL_FROM',
    ]) {
      expect(stderr).toContain(`${name}: required in production`);
    }
    expect(stderr).toContain('APP_URL: must be https://');
  });
});
