import { apiKeysSchema, createdApiKeySchema, revokedApiKeySchema } from '@tollgate/api';
import { defineOperation, type RestOperation } from './rest-operation';

const OPERATORS_ONLY =
  'Platform operators only: a user’s access token whose account holds the operator role (read from ' +
  'the database on every call; other users: 403).';

/** Service API keys for humans, served by the tRPC `apiKeys.*` procedures. */
export const apiKeyOperations: readonly RestOperation[] = [
  defineOperation({
    method: 'post',
    path: '/api-keys',
    procedure: 'apiKeys.create',
    operationId: 'createApiKey',
    tag: 'api-keys',
    summary: 'Create a service API key (shown once)',
    description:
      `${OPERATORS_ONLY} \`scopes\`: \`runs:authorize\` (reserve and start runs for any user), ` +
      '`runs:release` (give back runs the same key reserved and never started), `subscriptions:read` ' +
      '(read any user’s subscription). The answer’s `key` (`tg_sk_…`) is the only copy: Tollgate ' +
      'stores a hash.',
    credentials: ['user'],
    successStatus: 201,
    response: { name: 'CreatedApiKey', schema: createdApiKeySchema },
    errors: [401, 403],
    example: { name: 'agent backend', scopes: ['runs:authorize', 'runs:release'] },
  }),
  defineOperation({
    method: 'get',
    path: '/api-keys',
    procedure: 'apiKeys.list',
    operationId: 'listApiKeys',
    tag: 'api-keys',
    summary: 'List service API keys, revoked ones too (never the keys themselves)',
    description: OPERATORS_ONLY,
    credentials: ['user'],
    successStatus: 200,
    response: { name: 'ApiKeys', schema: apiKeysSchema },
    errors: [401, 403],
  }),
  defineOperation({
    method: 'delete',
    path: '/api-keys/:id',
    procedure: 'apiKeys.revoke',
    operationId: 'revokeApiKey',
    tag: 'api-keys',
    summary: 'Revoke a service API key: from the next request on it answers 401',
    description: `${OPERATORS_ONLY} An unknown or already revoked key: 404.`,
    credentials: ['user'],
    successStatus: 200,
    response: { name: 'RevokedApiKey', schema: revokedApiKeySchema },
    errors: [401, 403, 404],
  }),
];
