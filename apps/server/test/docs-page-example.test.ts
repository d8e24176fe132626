import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  credentialVariable,
  curlExample,
  exampleSetup,
  pathParameterVariable,
  setupBody,
} from '../src/openapi/docs-page-example';
import type { OpenApiOperation } from '../src/openapi/openapi-types';
import { restOperations } from '../src/routes/rest-api';

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

  it('reserves and starts the run first in the settle example, with the same key', () => {
    const example = curlExample(
      '/usage/settle',
      'post',
      operation(['serviceApiKey'], { userId: 'u', runId: 'r-1', actual: 3 }, 'usage.settle'),
    );
    const lines = example.split('\n');
    expect(lines.filter((line) => line.startsWith('curl'))).toEqual([
      'curl --fail-with-body -sS -X POST "$TOLLGATE_URL/api/v1/usage/authorize" \\',
      'curl --fail-with-body -sS -X POST "$TOLLGATE_URL/api/v1/usage/start" \\',
      'curl --fail-with-body -sS -X POST "$TOLLGATE_URL/api/v1/usage/settle" \\',
    ]);
    expect(lines.filter((line) => line.includes('Bearer'))).toEqual(
      Array.from({ length: 3 }, () => '  -H "Authorization: Bearer $API_KEY" \\'),
    );
    const bodies = lines
      .filter((line) => line.startsWith('  -d '))
      .map((line) => bodySentBy(line.replace(/ >\/dev\/null$/, ''), { USER_ID: 'real-user' }));
    expect(bodies).toEqual([
      { userId: 'real-user', runId: 'r-1', requestHash: 'sha256-of-the-task' },
      { userId: 'real-user', runId: 'r-1', attemptId: 'a1' },
      { userId: 'real-user', runId: 'r-1', actual: 3 },
    ]);
  });

  // The settle's setup repeats the authorize and start examples' requests: after them on the page it
  // is a replay (200, nothing changes); a different requestHash or attemptId would be a 409 there.
  it("repeats exactly the examples of the operations a setup calls, for the example's run", () => {
    for (const target of restOperations.filter((candidate) => candidate.example)) {
      const documented = { 'x-trpc-procedure': target.procedure } as OpenApiOperation;
      for (const call of exampleSetup(documented)?.calls ?? []) {
        const called = restOperations.find(
          (candidate) => candidate.method === call.method && candidate.path === call.path,
        );
        expect(called?.example, `${target.operationId} → ${call.path}`).toBeDefined();
        const sent = setupBody(call, target.example) as Record<string, unknown>;
        if (call.fields) {
          expect(sent, `${target.operationId} → ${call.path}`).toEqual({
            ...called?.example,
            runId: target.example?.runId,
          });
        }
      }
    }
  });
});
