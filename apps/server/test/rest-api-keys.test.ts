import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, request } from './support/http';
import { registerOperator } from './support/operators';
import { startTestServer, type TestServer } from './support/test-server';

interface CreatedKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  key: string;
}
interface ErrorBody {
  error: { code: string; message: string; fieldErrors?: Record<string, string[]> };
}

let server: TestServer;
let operatorToken: string;
beforeAll(async () => {
  server = await startTestServer();
  operatorToken = (await registerOperator(server)).accessToken;
});
afterAll(() => server?.stop());

const api = <T = unknown>(method: string, path: string, token?: string, body?: unknown) =>
  request<T>(server.url, method, `/api/v1${path}`, { token, body });

describe('service API keys over REST (/api/v1/api-keys)', () => {
  it('an operator creates a key (shown once), lists it, the key works, revokes it, then it answers 401', async () => {
    const created = await api<CreatedKey>('POST', '/api-keys', operatorToken, {
      name: '  agent backend ',
      scopes: ['runs:authorize', 'runs:release', 'runs:authorize'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'agent backend',
      prefix: created.body.key.slice(0, 12),
      scopes: ['runs:authorize', 'runs:release'],
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      key: expect.stringMatching(/^tg_sk_/),
    });

    const listed = await api<Record<string, unknown>[]>('GET', '/api-keys', operatorToken);
    expect(listed.status).toBe(200);
    const entry = listed.body.find((key) => key.id === created.body.id);
    expect(entry).toMatchObject({ name: 'agent backend', revokedAt: null, lastUsedAt: null });
    // Neither the key nor its hash is ever listed.
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect(entry).not.toHaveProperty('keyHash');
    expect(entry).not.toHaveProperty('key');

    const { user } = await registerUser(server.url);
    const authorize = (runId: string) =>
      api('POST', '/usage/authorize', created.body.key, { userId: user.id, runId });
    expect((await authorize('before-revoke')).status).toBe(200);

    const revoked = await api('DELETE', `/api-keys/${created.body.id}`, operatorToken);
    expect(revoked).toEqual({ status: 200, body: { id: created.body.id, revoked: true } });
    const refused = await authorize('after-revoke');
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: { message: 'This API key is invalid or has been revoked' } });

    const again = await api<ErrorBody>('DELETE', `/api-keys/${created.body.id}`, operatorToken);
    expect(again.status).toBe(404);
    const relisted = await api<Record<string, unknown>[]>('GET', '/api-keys', operatorToken);
    expect(relisted.body.find((key) => key.id === created.body.id)?.revokedAt).toEqual(expect.any(String));
  });

  it('a signed-in user who is not an operator: 403 on every route', async () => {
    const { accessToken } = await registerUser(server.url);
    const answers = [
      await api<ErrorBody>('POST', '/api-keys', accessToken, { name: 'mine', scopes: ['runs:authorize'] }),
      await api<ErrorBody>('GET', '/api-keys', accessToken),
      await api<ErrorBody>('DELETE', '/api-keys/00000000-0000-4000-8000-000000000000', accessToken),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect(answer.body.error.message).toBe('Platform operators only');
    }
  });

  it('no credential, or a service key instead of a user token: 401 on every route', async () => {
    const created = await api<CreatedKey>('POST', '/api-keys', operatorToken, {
      name: 'not for humans',
      scopes: ['subscriptions:read'],
    });
    for (const token of [undefined, created.body.key, 'not-a-token']) {
      expect((await api('POST', '/api-keys', token, { name: 'k', scopes: ['runs:authorize'] })).status).toBe(
        401,
      );
      expect((await api('GET', '/api-keys', token)).status).toBe(401);
      expect((await api('DELETE', `/api-keys/${created.body.id}`, token)).status).toBe(401);
    }
  });

  it('bad input: 400 with the field named, nothing created', async () => {
    const before = (await api<unknown[]>('GET', '/api-keys', operatorToken)).body.length;
    const cases: [body: unknown, field: string][] = [
      [{ name: '', scopes: ['runs:authorize'] }, 'name'],
      [{ name: '   ', scopes: ['runs:authorize'] }, 'name'],
      [{ name: 'x'.repeat(101), scopes: ['runs:authorize'] }, 'name'],
      [{ name: 'a\u0000b', scopes: ['runs:authorize'] }, 'name'],
      [{ name: 'k', scopes: [] }, 'scopes'],
      [{ name: 'k', scopes: ['admin'] }, 'scopes'],
      [{ name: 'k' }, 'scopes'],
      [{ scopes: ['runs:authorize'] }, 'name'],
    ];
    for (const [body, field] of cases) {
      const answer = await api<ErrorBody>('POST', '/api-keys', operatorToken, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.fieldErrors, JSON.stringify(body)).toHaveProperty(field);
    }
    expect((await api('POST', '/api-keys', operatorToken, '[1,2]')).status).toBe(400);
    expect((await api('POST', '/api-keys', operatorToken, '{"name":')).status).toBe(400);
    const badId = await api<ErrorBody>('DELETE', '/api-keys/not-a-uuid', operatorToken);
    expect(badId.status).toBe(400);
    expect(badId.body.error.fieldErrors).toHaveProperty('id');
    expect((await api<unknown[]>('GET', '/api-keys', operatorToken)).body.length).toBe(before);
  });

  it('is in the OpenAPI document with its response schemas', async () => {
    const document = await api<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    }>('GET', '/openapi.json');
    expect(Object.keys(document.body.paths['/api-keys'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.body.paths['/api-keys/{id}'] ?? {})).toEqual(['delete']);
    expect(document.body.paths['/api-keys']?.post?.responses['201']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CreatedApiKey' } } },
    });
    expect(Object.keys(document.body.components.schemas)).toEqual(
      expect.arrayContaining(['CreatedApiKey', 'ApiKeys', 'RevokedApiKey']),
    );
  });
});
