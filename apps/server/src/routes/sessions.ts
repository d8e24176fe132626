import {
  agentSessionSchema,
  agentSessionsSchema,
  deletedSessionSchema,
  sessionWithRunsSchema,
  startedRunSchema,
} from '@tollgate/api';
import { defineOperation, type RestOperation } from './rest-operation';

/** REST for the metered resource, served by the tRPC `sessions.*` procedures. */
export const sessionOperations: readonly RestOperation[] = [
  defineOperation({
    method: 'get',
    path: '/sessions',
    procedure: 'sessions.list',
    operationId: 'listSessions',
    tag: 'sessions',
    summary: 'The user’s agent sessions, newest first',
    credentials: ['user'],
    successStatus: 200,
    response: { name: 'AgentSessions', schema: agentSessionsSchema },
    errors: [401],
  }),
  defineOperation({
    method: 'post',
    path: '/sessions',
    procedure: 'sessions.create',
    operationId: 'createSession',
    tag: 'sessions',
    summary: 'Create an agent session (free)',
    credentials: ['user'],
    successStatus: 201,
    response: { name: 'AgentSession', schema: agentSessionSchema },
    errors: [401],
    example: { title: 'Quarterly report' },
  }),
  defineOperation({
    method: 'get',
    path: '/sessions/:id',
    procedure: 'sessions.get',
    operationId: 'getSession',
    tag: 'sessions',
    summary: 'One session with its runs (free)',
    credentials: ['user'],
    successStatus: 200,
    response: { name: 'AgentSessionWithRuns', schema: sessionWithRunsSchema },
    errors: [401, 404],
  }),
  defineOperation({
    method: 'delete',
    path: '/sessions/:id',
    procedure: 'sessions.delete',
    operationId: 'deleteSession',
    tag: 'sessions',
    summary: 'Delete a session and its runs (free)',
    credentials: ['user'],
    successStatus: 200,
    response: { name: 'DeletedSession', schema: deletedSessionSchema },
    errors: [401, 404],
  }),
  // The metered route: the `sessions.run` procedure's guard answers 402 when the run is denied.
  defineOperation({
    method: 'post',
    path: '/sessions/:id/runs',
    procedure: 'sessions.run',
    operationId: 'startRun',
    tag: 'sessions',
    summary: 'Send a message that starts an agent task: costs one run',
    description:
      'Once per runId: a retry with the same session and message is never charged again and answers ' +
      'the stored run (or 409 RUN_IN_PROGRESS with Retry-After while it is under way); the same runId ' +
      'with another session or message is 409 RUN_ID_REUSED. A wrong, foreign or deleted session id ' +
      'is a free 404. Over the limit: 402 with the upgrade details. 503 AGENT_NOT_STARTED: the agent ' +
      'refused it and nothing was charged; 502 AGENT_UNCONFIRMED: its answer was lost, the run stays ' +
      'charged and is flagged for review.',
    credentials: ['user'],
    successStatus: 201,
    response: { name: 'StartedRun', schema: startedRunSchema },
    errors: [401, 402, 404, 409, 502, 503],
    example: { runId: 'run-0001', message: 'Summarize the open issues' },
  }),
];
