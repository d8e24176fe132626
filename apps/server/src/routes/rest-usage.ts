import {
  balanceSchema,
  releasedRunSchema,
  runAuthorizationSchema,
  settledRunSchema,
  startedRunStateSchema,
} from '@tollgate/api';
import { defineOperation, type RestOperation } from './rest-operation';

const ACTING_FOR =
  'A user acts for themself; a service key with the `runs:authorize` scope names the user in `userId`.';
// An OpenAPI media type holds one example: these are a service's calls (what the usage routes are for),
// and they run in order: reserve task-2024-0001, start it, then reserve and release task-2024-0002 (a
// started run can't be released). They match docs/api.md's metering walkthrough.
const SERVICE_EXAMPLE =
  'The example is a service key’s call for the user it names; with a user’s token, leave `userId` out ' +
  '(naming another user is a 403).';
const SERVICE_ONLY =
  'Only a service key with the `runs:release` scope, for a run the same key reserved (end-user tokens: 403).';
// Release and settle finish a run that exists: leaving the account doesn't take it with them. A start
// (work beginning) and a new run need a current member.
const FORMER_MEMBER =
  'On a team account the service may name the run’s member after they left or were removed (their ' +
  'own token can’t; starting a run or a new one needs a current member).';

/** Run metering for other services, served by the tRPC `usage.*` procedures. */
export const usageOperations: readonly RestOperation[] = [
  defineOperation({
    method: 'post',
    path: '/usage/authorize',
    procedure: 'usage.authorize',
    operationId: 'authorizeRun',
    tag: 'usage',
    summary: 'Reserve one run (check and count it)',
    description:
      `${ACTING_FOR} The same runId from the same caller with the same optional requestHash is a retry: ` +
      'nothing is counted (isReplay: true) and `state` says whether its work may still start. The same ' +
      'runId for another request: 409 RUN_ID_REUSED. Over the limit, or when the subscription is ' +
      'blocked: 402 with the upgrade details (and the packs that would let runs through). `estimate` ' +
      '(default 1) reserves that many units, from the plan’s allowance first, then packs and grants; ' +
      '`POST /usage/settle` charges what the run finally cost. Start the work only after ' +
      '`POST /usage/start` succeeded. ' +
      SERVICE_EXAMPLE,
    credentials: ['user', 'service'],
    successStatus: 200,
    response: { name: 'RunAuthorization', schema: runAuthorizationSchema },
    errors: [401, 402, 403, 404, 409],
    example: { userId: 'user_123', runId: 'task-2024-0001', requestHash: 'sha256-of-the-task' },
  }),
  defineOperation({
    method: 'post',
    path: '/usage/start',
    procedure: 'usage.start',
    operationId: 'markRunStarted',
    tag: 'usage',
    summary: 'Mark a reserved run started: the one moment its work may begin',
    description:
      `${ACTING_FOR} Only the caller that reserved the run, once per run id: a second start answers ` +
      '409 RUN_ALREADY_STARTED, a released run 409 RUN_RELEASED. Start the agent task only after a 200. ' +
      '`attemptId` (one per start call, resent on retry) makes a lost answer safe to ask for again. ' +
      'On a team account the member named must still be one: a run of a member who left is released ' +
      `(or released by the start sweeper), never started. ${SERVICE_EXAMPLE}`,
    credentials: ['user', 'service'],
    successStatus: 200,
    response: { name: 'StartedRunState', schema: startedRunStateSchema },
    errors: [401, 403, 404, 409],
    example: { userId: 'user_123', runId: 'task-2024-0001', attemptId: 'a1' },
  }),
  defineOperation({
    method: 'post',
    path: '/usage/release',
    procedure: 'usage.release',
    operationId: 'releaseRun',
    tag: 'usage',
    summary: 'Give back a reserved run whose work never started',
    description:
      `${SERVICE_ONLY} Once per run (again: the same answer, isReplay: true); a started run: 409 ` +
      'RELEASE_NOT_ALLOWED. Runs nobody starts are released by Tollgate after RUN_START_TIMEOUT_SECONDS. ' +
      `${FORMER_MEMBER} ` +
      'The example gives back task-2024-0002, a run reserved and never started.',
    credentials: ['service'],
    successStatus: 200,
    response: { name: 'ReleasedRun', schema: releasedRunSchema },
    errors: [401, 403, 404, 409],
    example: { userId: 'user_123', runId: 'task-2024-0002' },
  }),
  defineOperation({
    method: 'post',
    path: '/usage/settle',
    procedure: 'usage.settle',
    operationId: 'settleRun',
    tag: 'usage',
    summary: 'Say what a started run finally cost',
    description:
      'Only a service key with the `runs:settle` scope, for a run the same key reserved and started ' +
      '(end-user tokens: 403). `actual` ≥ 1: below the estimate the rest goes back to the buckets it ' +
      'came from; above it the overrun is charged up to what the balance still holds (`charged`). ' +
      'Again with the same actual: the same answer (isReplay); with another: 409 RUN_ALREADY_SETTLED; a ' +
      'run never started: 409 RUN_NOT_STARTED. Runs never settled are settled at their estimate after ' +
      'RUN_SETTLE_TIMEOUT_SECONDS. The run’s member is charged (and capped) as for any run; ' +
      `${FORMER_MEMBER} The example settles task-2024-0001 at 1 unit.`,
    credentials: ['service'],
    successStatus: 200,
    response: { name: 'SettledRun', schema: settledRunSchema },
    errors: [401, 403, 404, 409],
    example: { userId: 'user_123', runId: 'task-2024-0001', actual: 1 },
  }),
  defineOperation({
    method: 'get',
    path: '/usage/balance',
    procedure: 'usage.balance',
    operationId: 'getBalance',
    tag: 'usage',
    summary: 'Everything the account can spend: the plan allowance, then each pack and grant',
    description:
      'The plan’s allowance this period first, then packs and grants by priority, soonest expiry and ' +
      'age (the order runs draw them in), each with what remains, when it expires, and what expiry or a ' +
      'refund took back.',
    credentials: ['user'],
    successStatus: 200,
    response: { name: 'Balance', schema: balanceSchema },
    errors: [401, 403],
  }),
];
