import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { credentialVariable, curlExample, pathParameterVariable } from '../src/openapi/docs-page-example';
import type { OpenApiOperation } from '../src/openapi/openapi-types';

function operation(security: string[], example?: unknown, procedure?: string): OpenApiOperation {
  return {
    operationId: 'op',
    tags: ['t'],
    summary: 's',
    security: security.map((scheme) => ({ [scheme]: [] })),
    ...(procedure ? { 'x-trpc-procedure': procedure } : {}),
    ...(example === undefined
      ? {}
      : { requestBody: { required: true, content: { 'application/json': { schema: {}, example } } } }),
    responses: {},
  } as OpenApiOperation;
}

/** What bash makes of the `-d` word: the body curl would send, with the variables set. */
function bodySentBy(command: string, env: Record<string, string>): unknown {
  const word = /-d (.+)$/s.exec(command)?.[1] ?? '';
  const printed = execFileSync('bash', ['-c', `printf %s ${word}`], {
    env: { PATH: process.env.PATH, ...env },
  });
  return JSON.parse(printed.toString());
}

describe('the /docs curl examples', () => {
  it('names path variables after their collection', () => {
    expect(pathParameterVariable('/sessions/{id}/runs', 'id')).toBe('SESSION_ID');
    expect(pathParameterVariable('/api-keys/{id}', 'id')).toBe('API_KEY_ID');
    expect(pathParameterVariable('/{id}', 'id')).toBe('ID');
  });

  it('uses a service key when only a service may call or the example names a user, else the token', () => {
    expect(credentialVariable(operation([]))).toBeNull();
    expect(credentialVariable(operation(['userJwt']))).toBe('TOKEN');
    expect(credentialVariable(operation(['serviceApiKey']))).toBe('API_KEY');
    expect(credentialVariable(operation(['userJwt', 'serviceApiKey'], { runId: 'r' }))).toBe('TOKEN');
    expect(credentialVariable(operation(['userJwt', 'serviceApiKey'], { userId: 'u', runId: 'r' }))).toBe(
      'API_KEY',
    );
  });

  it('quotes bodies so bash sends them exactly, splicing in $USER_ID and $REFRESH_TOKEN', () => {
    const plain = curlExample('/sessions', 'post', operation(['userJwt'], { title: "Ada's $HOME `x`" }));
    expect(bodySentBy(plain, {})).toEqual({ title: "Ada's $HOME `x`" });
    const spliced = curlExample(
      '/usage/authorize',
      'post',
      operation(['serviceApiKey'], { userId: 'user_123', runId: 'r-1', note: 'a "quoted" $x' }),
    );
    expect(spliced).toContain('Bearer $API_KEY');
    expect(bodySentBy(spliced, { USER_ID: 'real-user' })).toEqual({
      userId: 'real-user',
      runId: 'r-1',
      note: 'a "quoted" $x',
    });
  });

  it('reserves the run first in the release example (only a reserved, unstarted run is released)', () => {
    const example = curlExample(
      '/usage/release',
      'post',
      operation(['serviceApiKey'], { userId: 'u', runId: 'r-2' }, 'usage.release'),
    );
    const commands = example.split('\n').filter((line) => line.startsWith('curl'));
    expect(commands).toEqual([
      'curl --fail-with-body -sS -X POST "$TOLLGATE_URL/api/v1/usage/authorize" \\',
      'curl --fail-with-body -sS -X POST "$TOLLGATE_URL/api/v1/usage/release" \\',
    ]);
  });
});
