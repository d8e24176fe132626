import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenApiDocument } from '../src/openapi/openapi-types';
import { objectOf, procedureInput } from '../src/openapi/procedure-input';
import { restOperations } from '../src/routes/rest-api';
import { registerUser, request } from './support/http';
import { startTestServer, type TestServer } from './support/test-server';

let server: TestServer;
let document: OpenApiDocument;
beforeAll(async () => {
  server = await startTestServer();
  const response = await fetch(`${server.url}/api/v1/openapi.json`);
  expect(response.headers.get('content-type')).toContain('application/json');
  document = (await response.json()) as OpenApiDocument;
}, 60_000);
afterAll(() => server?.stop());

function operationsOf(doc: OpenApiDocument) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );
}

/** Validates a body against the response schema the document gives for that operation and status. */
function documentedBodyValidator(doc: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'openapi', components: doc.components });
  return (path: string, method: 'get' | 'post' | 'delete', status: number, body: unknown) => {
    const schema = doc.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`${method} ${path} documents no ${status} body`);
    const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"openapi#/components'));
    const isValid = ajv.validate(rewritten, body);
    return isValid ? [] : (ajv.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
  };
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (checked by a validator library)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as never);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');

    // The validator does catch a broken document, so the check above means something.
    const broken = structuredClone(document) as unknown as Record<string, unknown>;
    delete broken.info;
    expect((await new Validator().validate(broken as never)).valid).toBe(false);
  });

  it('resolves every $ref and documents every REST operation with its procedure and security', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)];
    expect(refs.length).toBeGreaterThan(20);
    for (const [, name] of refs) expect(document.components.schemas, name).toHaveProperty(name ?? '');

    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['serviceApiKey', 'userJwt']);
    for (const operation of restOperations) {
      const path = operation.path.replace(/:(\w+)/g, '{$1}');
      const documented = document.paths[path]?.[operation.method];
      expect(documented, `${operation.method} ${path}`).toBeDefined();
      expect(documented?.['x-trpc-procedure']).toBe(operation.procedure);
      expect(documented?.responses).toHaveProperty(String(operation.successStatus));
      const schemes = documented?.security.flatMap((requirement) => Object.keys(requirement)) ?? [];
      expect(schemes.length).toBe(operation.credentials.length);
    }
    const seedRoutes = [
      'get /billing/subscription',
      'post /billing/create-checkout-session',
      'post /billing/create-portal-session',
      'post /billing/activate-trial',
      'post /usage/authorize',
      'post /usage/release',
      'post /sessions/{id}/runs',
    ];
    const documented = operationsOf(document).map(({ method, path }) => `${method} ${path}`);
    expect(documented).toEqual(expect.arrayContaining(seedRoutes));
  });

  it('describes inputs from the procedures’ zod schemas, and the 402 body from PaymentRequiredBody', () => {
    const authorize = document.paths['/usage/authorize']?.post;
    const body = authorize?.requestBody?.content['application/json']?.schema;
    // userId comes from the actingForUser tier's own input parser, runId from the procedure's.
    expect(body).toMatchObject({
      type: 'object',
      properties: { userId: { type: 'string' }, runId: { pattern: '^[A-Za-z0-9._:-]+$', maxLength: 128 } },
      required: ['runId'],
    });
    expect(authorize?.responses['402']?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/PaymentRequiredBody',
    });
    expect(document.components.schemas.PaymentRequiredBody).toMatchObject({
      properties: {
        error: {
          required: ['code', 'message', 'plan', 'status', 'used', 'limit', 'resetsAt', 'upgradeUrl'],
        },
      },
    });
    // The 402 of a used-up allowance offers packs (issue 17): in the schema, optional.
    expect(document.components.schemas.PaymentRequiredBody).toMatchObject({
      properties: { error: { properties: { packs: { type: 'array' }, buyRunsUrl: {} } } },
    });
    // Units are bounded whole numbers: an estimate to reserve, a started run's actual cost (≥ 1).
    const units = { type: 'integer', minimum: 1, maximum: 100_000 };
    expect(body).toMatchObject({ properties: { estimate: units } });
    const settle = document.paths['/usage/settle']?.post;
    expect(settle?.requestBody?.content['application/json']?.schema).toMatchObject({
      properties: { runId: { type: 'string' }, actual: units },
      required: expect.arrayContaining(['runId', 'actual']),
    });
    expect(settle?.security).toEqual([{ serviceApiKey: [] }]);
    const subscription = document.paths['/billing/subscription']?.get;
    expect(subscription?.parameters).toEqual([
      expect.objectContaining({ name: 'X-Tollgate-Account', in: 'header', required: false }),
      expect.objectContaining({ name: 'userId', in: 'query' }),
      expect.objectContaining({ name: 'accountId', in: 'query' }),
    ]);
    expect(subscription?.requestBody).toBeUndefined();
  });

  it('gives examples that the procedures accept', () => {
    const withExamples = restOperations.filter((operation) => operation.example);
    expect(withExamples.length).toBeGreaterThan(5);
    for (const operation of withExamples) {
      const { fields } = procedureInput(operation.procedure);
      // The path's parameters complete the body (`:id`, `:accountId` are UUIDs, `:userId` any id).
      const pathValues = Object.fromEntries(
        [...operation.path.matchAll(/:(\w+)/g)].map(([, name = '']) => [
          name,
          name === 'userId' ? 'user_456' : crypto.randomUUID(),
        ]),
      );
      const example = { ...operation.example, ...pathValues };
      expect(objectOf(fields).safeParse(example).success, operation.operationId).toBe(true);
    }
  });
});

describe('every documented path', () => {
  it('answers (never the router’s 404), and success bodies match the documented schemas', async () => {
    const { accessToken } = await registerUser(server.url);
    const matchesDocument = documentedBodyValidator(document);
    const sessionId = crypto.randomUUID();
    for (const { path, method } of operationsOf(document)) {
      const url = `/api/v1${path.replace(/\{\w+\}/g, sessionId)}`;
      const anonymous = await request<{ error?: { message: string } }>(server.url, method, url);
      expect(anonymous.body?.error?.message ?? '', `${method} ${path}`).not.toMatch(/^No route/);
      expect(anonymous.status, `${method} ${path}`).toBeLessThan(500);

      const signedIn = await request(server.url, method, url, { token: accessToken });
      expect(signedIn.status, `${method} ${path}`).toBeLessThan(500);
      const isDocumented = Object.keys(document.paths[path]?.[method as 'get']?.responses ?? {});
      expect(isDocumented, `${method} ${path} answered ${signedIn.status}`).toContain(
        String(signedIn.status),
      );
      if (signedIn.status < 300) {
        expect(matchesDocument(path, method as 'get', signedIn.status, signedIn.body)).toEqual([]);
      }
    }
  });

  it('rejects bodies that break the documented schema (the validator is not a yes-man)', () => {
    const matchesDocument = documentedBodyValidator(document);
    expect(matchesDocument('/billing/plans', 'get', 200, [{ id: 'GOLD' }]).length).toBeGreaterThan(0);
  });
});

describe('the API reference page', () => {
  it('is served at /docs and /api/v1/docs as self-contained HTML that works under the CSP', async () => {
    for (const path of ['/docs', '/api/v1/docs']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toMatch(/style-src [^;]*'unsafe-inline'/);
      const html = await response.text();
      // No script to block, and nothing fetched from another origin.
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
      expect(html).not.toMatch(/<link[^>]+stylesheet/i);
      for (const { operation } of operationsOf(document)) {
        expect(html).toContain(`id="op-${operation.operationId}"`);
      }
      expect(html).toContain('id="schema-PaymentRequiredBody"');
      // Examples read the base URL from $TOLLGATE_URL, which defaults to this server's.
      expect(html).toContain(
        'curl --fail-with-body -sS -X POST &quot;$TOLLGATE_URL/api/v1/billing/create-checkout-session',
      );
      expect(html).toContain('TOLLGATE_URL=${TOLLGATE_URL:-http://app.tollgate.test}');
    }
  });
});
