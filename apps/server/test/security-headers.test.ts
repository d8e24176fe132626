import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { afterAll, describe, expect, it } from 'vitest';
import { securityHeaders } from '../src/http/security-headers';

const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

/** The headers a one-route app with this middleware answers, without the per-response ones. */
async function headersWith(middleware: RequestHandler): Promise<Record<string, string>> {
  const app = express();
  app.disable('x-powered-by');
  app.use(middleware);
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/`);
  const perResponse = new Set(['date', 'etag', 'connection', 'keep-alive', 'content-length']);
  return Object.fromEntries([...response.headers].filter(([name]) => !perResponse.has(name)));
}

describe('security headers computed once at start', () => {
  it('answers exactly the headers helmet() sets per request', async () => {
    const precomputed = await headersWith(securityHeaders());
    const perRequest = await headersWith(helmet());
    expect(precomputed).toEqual(perRequest);
    // The ones that matter most, so the comparison above can't pass on two empty sets.
    expect(precomputed['content-security-policy']).toContain("default-src 'self'");
    expect(precomputed['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(precomputed['x-content-type-options']).toBe('nosniff');
  });
});
