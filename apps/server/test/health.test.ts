import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from './support/http';
import { startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('server basics', () => {
  it('reports health with a database check, a request id and security headers', async () => {
    const response = await fetch(`${server.url}/api/v1/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'ok' });
    expect(response.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('separates liveness from readiness', async () => {
    expect((await request(server.url, 'GET', '/api/v1/health/live')).body).toEqual({ status: 'ok' });
    expect((await request(server.url, 'GET', '/api/v1/health/ready')).body).toEqual({ status: 'ready' });
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const result = await request(server.url, 'GET', '/api/v1/nope');
    expect(result.status).toBe(404);
    expect(result.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('refuses oversized JSON bodies with 413', async () => {
    const result = await request(server.url, 'POST', '/api/v1/sessions', {
      body: { title: 'x'.repeat(200_000) },
    });
    expect(result.status).toBe(413);
  });
});
