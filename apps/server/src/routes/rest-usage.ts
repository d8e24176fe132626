import { releasedRunSchema, runAuthorizationSchema } from '../openapi/billing-schemas';
import { defineOperation, type RestOperation } from './rest-operation';

const ACTING_FOR =
  'A user acts for themself; a service key with the `runs:authorize` scope names the user in `userId`.';

/** Run metering for other services, served by the tRPC `usage.*` procedures. */
export const usageOperations: readonly RestOperation[] = [
  defineOperation({
    method: 'post',
    path: '/usage/authorize',
    procedure: 'usage.authorize',
    operationId: 'authorizeRun',
    tag: 'usage',
    summary: 'Check and consume one run (idempotent on runId)',
    description:
      `${ACTING_FOR} The same runId again answers the first authorization (isReplay: true) without ` +
      'consuming. Over the limit, or when the subscription is blocked: 402 with the upgrade details.',
    credentials: ['user', 'service'],
    successStatus: 200,
    response: { name: 'RunAuthorization', schema: runAuthorizationSchema },
    errors: [401, 402, 403, 409],
    example: { userId: 'user_123', runId: 'task-2024-0001' },
  }),
  defineOperation({
    method: 'post',
    path: '/usage/release',
    procedure: 'usage.release',
    operationId: 'releaseRun',
    tag: 'usage',
    summary: 'Refund a run whose task failed to start',
    description: `${ACTING_FOR} Once per run, and only shortly after it was authorized (409 otherwise).`,
    credentials: ['user', 'service'],
    successStatus: 200,
    response: { name: 'ReleasedRun', schema: releasedRunSchema },
    errors: [401, 403, 404, 409],
    example: { userId: 'user_123', runId: 'task-2024-0001' },
  }),
];
