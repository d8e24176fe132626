import type { z } from 'zod';
import type { Credential, ErrorStatus, RestOperation } from '../routes/rest-operation';
import {
  agentRunSchema,
  errorBodySchema,
  paymentRequiredBodySchema,
  planSchema,
  publicUserSchema,
  runAuthorizationSchema,
} from '@tollgate/api';
import { infrastructurePaths } from './infrastructure-paths';
import { toComponentSchemas, toJsonSchema, type JsonSchema } from './json-schema';
import type { OpenApiDocument, OpenApiOperation, OpenApiParameter, OpenApiResponse } from './openapi-types';
import { objectOf, procedureInput } from './procedure-input';

const TAGS: OpenApiDocument['tags'] = [
  { name: 'auth', description: 'Tollgate’s own accounts: access JWTs and rotating refresh tokens.' },
  {
    name: 'accounts',
    description:
      'Billing accounts: every user’s personal account and the team accounts it belongs to (one plan, ' +
      'one pool of runs), members, roles, caps, invitations and account API keys.',
  },
  { name: 'billing', description: 'Plans, the subscription, Stripe Checkout and Customer Portal, invoices.' },
  { name: 'usage', description: 'Metering for other services: authorize a run before starting it.' },
  {
    name: 'api-keys',
    description: 'Service API keys, managed by platform operators: shown once, then only listed.',
  },
  { name: 'sessions', description: 'Agent sessions; starting a run in one is the metered call.' },
  { name: 'health', description: 'Probes for load balancers and orchestrators.' },
  { name: 'stripe', description: 'Called by Stripe, not by clients.' },
];

const SECURITY_SCHEME_BY_CREDENTIAL: Record<Credential, string> = {
  user: 'userJwt',
  service: 'serviceApiKey',
};

/** Sub-schemas worth a name of their own: responses reference them instead of repeating them. */
const SHARED_SCHEMAS: readonly (readonly [string, z.core.$ZodType])[] = [
  ['ErrorBody', errorBodySchema],
  ['PaymentRequiredBody', paymentRequiredBodySchema],
  ['Plan', planSchema],
  ['PublicUser', publicUserSchema],
  ['AgentRun', agentRunSchema],
  ['RunAuthorization', runAuthorizationSchema],
];

const ERROR_DESCRIPTIONS: Record<ErrorStatus | 400 | 500, string> = {
  400: 'Invalid input (fieldErrors lists the messages per field) or a request the state does not allow',
  401: 'Missing, invalid or expired credential',
  402: 'Run denied: the body says why, the usage so far, when it resets and where to upgrade',
  403: 'Not allowed: a user naming another user, a key without the scope, accounts disabled',
  404: 'Not found (or not yours); UNKNOWN_USER: a service key named a user id nobody registered',
  409: 'Conflicts with the current state (code says which)',
  429: 'Too many attempts: wait a minute',
  502: 'The agent backend did not confirm the run: it stays charged and is flagged for review',
  503:
    'Temporarily unavailable: the database, or for a billing call Stripe, could not be reached (retry ' +
    'after Retry-After, with the same run id for a run), or, for a session run, the agent refused it ' +
    '(nothing was charged)',
  500: 'Unexpected failure (nothing internal is revealed)',
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: JsonSchema, example?: unknown) => ({
  'application/json': example === undefined ? { schema } : { schema, example },
});

/** The OpenAPI 3.1 document of /api/v1, written from the operations and their procedures' zod schemas. */
export function createOpenApiDocument(operations: readonly RestOperation[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const operation of operations) {
    const path = operation.path.replace(/:(\w+)/g, '{$1}');
    paths[path] = { ...paths[path], [operation.method]: describeOperation(operation) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tollgate API',
      version: '1.0.0',
      description:
        'Billing and tenancy for the agent platform. Every REST route is served by the tRPC procedure of ' +
        'the same name (/api/trpc) and answers JSON. Errors are `{ error: { code, message } }`; a denied ' +
        'run is HTTP 402 with the PaymentRequiredBody.',
    },
    servers: [{ url: '/api/v1', description: 'This server' }],
    tags: TAGS,
    paths: { ...paths, ...infrastructurePaths },
    components: {
      securitySchemes: {
        userJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A user’s access token from /auth/login (or the host platform’s JWT).',
        },
        serviceApiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'tg_sk_…',
          description:
            'A service API key (created by a platform operator) with the scope the operation needs.',
        },
      },
      schemas: toComponentSchemas(componentEntries(operations)),
    },
  };
}

function componentEntries(operations: readonly RestOperation[]): (readonly [string, z.core.$ZodType])[] {
  const entries = new Map<string, z.core.$ZodType>(SHARED_SCHEMAS);
  for (const { response, operationId } of operations) {
    const existing = entries.get(response.name);
    if (existing && existing !== response.schema) {
      throw new Error(`${operationId}: the schema name ${response.name} is taken by another schema`);
    }
    entries.set(response.name, response.schema);
  }
  return [...entries];
}

function describeOperation(operation: RestOperation): OpenApiOperation {
  const input = procedureInput(operation.procedure);
  const pathNames = [...operation.path.matchAll(/:(\w+)/g)].map((match) => match[1] ?? '');
  const otherFields = Object.fromEntries(
    Object.entries(input.fields).filter(([name]) => !pathNames.includes(name)),
  );
  const fieldsSchema = toJsonSchema(objectOf(otherFields), 'input');
  const hasOtherFields = Object.keys(otherFields).length > 0;

  const parameters: OpenApiParameter[] = pathNames.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: fieldSchemaOf(toJsonSchema(objectOf(input.fields), 'input'), name),
  }));
  if (actsOnActiveAccount(operation)) parameters.push(ACCOUNT_HEADER_PARAMETER);
  if (operation.method === 'get') parameters.push(...queryParameters(fieldsSchema));
  const hasBody = operation.method !== 'get' && input.hasInput && hasOtherFields;

  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    'x-trpc-procedure': operation.procedure,
    security: operation.credentials.map((credential) => ({
      [SECURITY_SCHEME_BY_CREDENTIAL[credential]]: [],
    })),
    ...(parameters.length ? { parameters } : {}),
    ...(hasBody
      ? {
          requestBody: {
            required: !input.isOptional,
            content: jsonContent(withAliases(fieldsSchema, operation.bodyAliases ?? {}), operation.example),
          },
        }
      : {}),
    responses: responsesOf(operation),
  };
}

/**
 * The billing, usage and session operations act on the caller's active account: the one the
 * X-Tollgate-Account header names (a member's team account), else the caller's personal account.
 */
function actsOnActiveAccount(operation: RestOperation): boolean {
  const [domain, name] = operation.procedure.split('.');
  return domain === 'usage' || domain === 'sessions' || (domain === 'billing' && name !== 'plans');
}

const ACCOUNT_HEADER_PARAMETER: OpenApiParameter = {
  name: 'X-Tollgate-Account',
  in: 'header',
  required: false,
  description:
    'The account to act on (a UUID from GET /accounts); absent: the caller’s personal account. The ' +
    'caller must be a member (else 404 ACCOUNT_NOT_FOUND) with a role that may do this (else 403). A ' +
    'service key may name the account in the body’s `accountId` instead.',
  schema: { type: 'string', format: 'uuid' },
};

function fieldSchemaOf(objectSchema: JsonSchema, name: string): JsonSchema {
  const properties = (objectSchema.properties ?? {}) as Record<string, JsonSchema>;
  return properties[name] ?? {};
}

function queryParameters(objectSchema: JsonSchema): OpenApiParameter[] {
  const properties = (objectSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (objectSchema.required ?? []) as string[];
  return Object.entries(properties).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    schema,
  }));
}

/** The seed's snake_case names, listed as deprecated aliases of the fields they stand for. */
function withAliases(objectSchema: JsonSchema, aliases: Readonly<Record<string, string>>): JsonSchema {
  const properties = { ...((objectSchema.properties ?? {}) as Record<string, JsonSchema>) };
  for (const [alias, name] of Object.entries(aliases)) {
    properties[alias] = { ...properties[name], deprecated: true, description: `Alias of ${name} (seed API)` };
  }
  return { ...objectSchema, properties };
}

function responsesOf(operation: RestOperation): Record<string, OpenApiResponse> {
  const responses: Record<string, OpenApiResponse> = {
    [operation.successStatus]: {
      description: operation.successStatus === 201 ? 'Created' : 'OK',
      content: jsonContent(ref(operation.response.name)),
    },
    400: { description: ERROR_DESCRIPTIONS[400], content: jsonContent(ref('ErrorBody')) },
  };
  for (const status of operation.errors) {
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status],
      content: jsonContent(ref(status === 402 ? 'PaymentRequiredBody' : 'ErrorBody')),
    };
  }
  // Any operation can meet a database (a billing call: Stripe) that is away for a moment: 503 with
  // Retry-After.
  responses[503] = { description: ERROR_DESCRIPTIONS[503], content: jsonContent(ref('ErrorBody')) };
  responses[500] = { description: ERROR_DESCRIPTIONS[500], content: jsonContent(ref('ErrorBody')) };
  return responses;
}
