import {
  emailVerifiedSchema,
  loggedOutSchema,
  meSchema,
  passwordResetAcceptedSchema,
  passwordResetDoneSchema,
  tokenPairSchema,
  verificationSentSchema,
} from '@tollgate/api';
import { defineOperation, type RestOperation } from './rest-operation';

const TOKEN_PAIR = { name: 'TokenPair', schema: tokenPairSchema };
/** What a link's `#token=` fragment looks like (256 random bits, base64url). */
const LINK_TOKEN_EXAMPLE = '1YE6uPpOUaBV-Qn9vir74_0_6Sr0lp_7WYM5rEshQp0';
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
  defineOperation({
    method: 'post',
    path: '/auth/verify-email',
    procedure: 'auth.verifyEmail',
    operationId: 'verifyEmail',
    tag: 'auth',
    summary: 'Verify the email address with the token from the emailed link',
    description:
      'The token is the text after `#token=` in the link sent at sign-up. Single use; 24 hours. ' +
      'Unknown, expired or used: 400 TOKEN_INVALID. Trials and checkout need a verified address.',
    credentials: [],
    successStatus: 200,
    response: { name: 'EmailVerified', schema: emailVerifiedSchema },
    errors: [],
    example: { token: LINK_TOKEN_EXAMPLE },
  }),
  defineOperation({
    method: 'post',
    path: '/auth/resend-verification',
    procedure: 'auth.resendVerification',
    operationId: 'resendVerification',
    tag: 'auth',
    summary: 'Email a new verification link',
    description:
      '`sent: false` when the address is already verified. At most one per minute and five per day ' +
      '(the sign-up email included): 429 with Retry-After. Earlier links keep working.',
    credentials: ['user'],
    successStatus: 200,
    response: { name: 'VerificationSent', schema: verificationSentSchema },
    errors: [401, 429],
  }),
  defineOperation({
    method: 'post',
    path: '/auth/password-reset/request',
    procedure: 'auth.requestPasswordReset',
    operationId: 'requestPasswordReset',
    tag: 'auth',
    summary: 'Email a password reset link',
    description:
      'Always `accepted: true`, whether or not the address has an account. The link works once, ' +
      'for 60 minutes; at most 3 are sent per account per hour. Rate limited per client IP.',
    credentials: [],
    successStatus: 200,
    response: { name: 'PasswordResetAccepted', schema: passwordResetAcceptedSchema },
    errors: [429],
    example: { email: 'ada@example.com' },
  }),
  defineOperation({
    method: 'post',
    path: '/auth/password-reset/confirm',
    procedure: 'auth.resetPassword',
    operationId: 'resetPassword',
    tag: 'auth',
    summary: 'Set a new password with the token from the emailed link',
    description:
      'Signs out every session (all refresh tokens are revoked) and verifies the address. ' +
      'Unknown, expired or used token: 400 TOKEN_INVALID. Rate limited per client IP.',
    credentials: [],
    successStatus: 200,
    response: { name: 'PasswordResetDone', schema: passwordResetDoneSchema },
    errors: [429],
    example: { token: LINK_TOKEN_EXAMPLE, password: 'a new long passphrase' },
  }),
];
