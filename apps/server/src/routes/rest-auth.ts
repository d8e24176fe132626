import { loggedOutSchema, meSchema, tokenPairSchema } from '@tollgate/api';
import { defineOperation, type RestOperation } from './rest-operation';

const TOKEN_PAIR = { name: 'TokenPair', schema: tokenPairSchema };
const CREDENTIALS_EXAMPLE = { email: 'ada@example.com', password: 'correct horse battery' };

/** Tollgate's built-in accounts, served by the tRPC `auth.*` procedures. */
export const authOperations: readonly RestOperation[] = [
  defineOperation({
    method: 'post',
    path: '/auth/register',
    procedure: 'auth.register',
    operationId: 'register',
    tag: 'auth',
    summary: 'Create an account and sign in',
    description: 'Starts on the FREE plan. Rate limited per client IP.',
    credentials: [],
    successStatus: 201,
    response: TOKEN_PAIR,
    errors: [403, 409, 429],
    example: CREDENTIALS_EXAMPLE,
  }),
  defineOperation({
    method: 'post',
    path: '/auth/login',
    procedure: 'auth.login',
    operationId: 'login',
    tag: 'auth',
    summary: 'Sign in with email and password',
    description: 'Rate limited per client IP.',
    credentials: [],
    successStatus: 200,
    response: TOKEN_PAIR,
    errors: [401, 403, 429],
    example: CREDENTIALS_EXAMPLE,
  }),
  defineOperation({
    method: 'post',
    path: '/auth/refresh',
    procedure: 'auth.refresh',
    operationId: 'refresh',
    tag: 'auth',
    summary: 'Trade a refresh token for a new token pair',
    description:
      'Refresh tokens rotate: each works once. Presenting a used one again signs out its whole family.',
    credentials: [],
    successStatus: 200,
    response: TOKEN_PAIR,
    errors: [401],
    example: { refreshToken: '<refreshToken from login>' },
  }),
  defineOperation({
    method: 'post',
    path: '/auth/logout',
    procedure: 'auth.logout',
    operationId: 'logout',
    tag: 'auth',
    summary: 'Revoke a refresh token (and its family)',
    credentials: [],
    successStatus: 200,
    response: { name: 'LoggedOut', schema: loggedOutSchema },
    errors: [],
    example: { refreshToken: '<refreshToken from login>' },
  }),
  defineOperation({
    method: 'get',
    path: '/auth/me',
    procedure: 'auth.me',
    operationId: 'me',
    tag: 'auth',
    summary: 'The signed-in user',
    credentials: ['user'],
    successStatus: 200,
    response: { name: 'Me', schema: meSchema },
    errors: [401],
  }),
];
