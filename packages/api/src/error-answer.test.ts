import { AppError, paymentRequiredBodySchema, type PaymentRequiredBody } from '@tollgate/domain';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorAnswer, errorAnswerOf, wireErrorOfTRPC } from './error-answer';
import { serviceUnavailableError, toTRPCError } from './errors';
import { errorBodySchema } from './schemas/error-schemas';

const DB_DOWN_MESSAGE = 'The service is temporarily unavailable; retry shortly';

/** A lost PostgreSQL connection, as node-postgres reports it. */
function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

/** An input zod refused, as tRPC hands it on: a BAD_REQUEST caused by the ZodError. */
function invalidInput(): TRPCError {
  const result = z
    .object({ email: z.email('must be an email address'), name: z.string() })
    .safeParse({ email: 'x', name: 1 });
  if (result.success) throw new Error('the input should be invalid');
  return new TRPCError({ code: 'BAD_REQUEST', cause: result.error });
}

const PAYMENT_BODY: PaymentRequiredBody = {
  error: {
    code: 'USAGE_LIMIT_REACHED',
    message: 'Monthly run limit reached',
    plan: 'FREE',
    status: 'active',
    used: 5,
    limit: 5,
    resetsAt: '2026-01-01T00:00:00.000Z',
    upgradeUrl: 'https://app.example.com/settings/billing',
  },
};

function paymentRequired(): AppError {
  return new AppError('PAYMENT_REQUIRED', PAYMENT_BODY.error.message, { body: PAYMENT_BODY });
}

/** body-parser's errors carry their own status and type. */
function bodyParserError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, type });
}

type Row = [
  name: string,
  error: unknown,
  status: number,
  headers: Record<string, string>,
  body: unknown,
  isUnexpected?: boolean,
];

describe('errorAnswerOf: every error becomes one status, headers and body', () => {
  it.each<Row>([
    [
      'a domain error through its procedure',
      toTRPCError(new AppError('UNKNOWN_USER', 'No such user')),
      404,
      {},
      { error: { code: 'UNKNOWN_USER', message: 'No such user' } },
    ],
    [
      'a domain error raised outside a procedure (the REST adapter)',
      new AppError('BAD_REQUEST', 'Send either successUrl or success_url, not both'),
      400,
      {},
      { error: { code: 'BAD_REQUEST', message: 'Send either successUrl or success_url, not both' } },
    ],
    [
      'a retry of a run under way: Retry-After rounded up',
      toTRPCError(new AppError('RUN_IN_PROGRESS', 'Run in progress', { retryAfterSeconds: 1.2 })),
      409,
      { 'retry-after': '2' },
      { error: { code: 'RUN_IN_PROGRESS', message: 'Run in progress' } },
    ],
    [
      'a domain 503 keeps its message for users',
      toTRPCError(new AppError('AGENT_NOT_STARTED', 'The agent did not start; nothing was charged')),
      503,
      {},
      { error: { code: 'AGENT_NOT_STARTED', message: 'The agent did not start; nothing was charged' } },
    ],
    [
      'a domain INTERNAL hides its message',
      toTRPCError(new AppError('INTERNAL', 'row 7 violates check constraint')),
      500,
      {},
      { error: { code: 'INTERNAL', message: 'Internal server error' } },
    ],
    [
      'a denied run: the 402 body as the domain wrote it',
      toTRPCError(paymentRequired()),
      402,
      {},
      PAYMENT_BODY,
    ],
    ['a denied run outside a procedure', paymentRequired(), 402, {}, PAYMENT_BODY],
    [
      'an invalid input: described, with messages per field',
      invalidInput(),
      400,
      {},
      {
        error: {
          code: 'BAD_REQUEST',
          message:
            'Invalid input: email: must be an email address; name: Invalid input: expected string, received number',
          fieldErrors: {
            email: ['must be an email address'],
            name: ['Invalid input: expected string, received number'],
          },
        },
      },
    ],
    [
      "a tier's own refusal",
      new TRPCError({ code: 'FORBIDDEN', message: 'This API key lacks the usage scope' }),
      403,
      {},
      { error: { code: 'FORBIDDEN', message: 'This API key lacks the usage scope' } },
    ],
    [
      'a procedure that failed: the tRPC code, nothing of the cause',
      new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new Error('relation "users" does not exist') }),
      500,
      {},
      { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' } },
    ],
    [
      'the database away, raw (building the context)',
      connectionRefused(),
      503,
      { 'retry-after': '2' },
      { error: { code: 'SERVICE_UNAVAILABLE', message: DB_DOWN_MESSAGE } },
    ],
    [
      'the database away, inside a procedure',
      serviceUnavailableError(connectionRefused()),
      503,
      { 'retry-after': '2' },
      { error: { code: 'SERVICE_UNAVAILABLE', message: DB_DOWN_MESSAGE } },
    ],
    [
      'a transaction PostgreSQL rolled back to break a deadlock, inside a procedure',
      new TRPCError({
        code: 'INTERNAL_SERVER_ERROR',
        cause: new Error('Failed query', {
          cause: Object.assign(new Error('deadlock detected'), { code: '40P01' }),
        }),
      }),
      503,
      { 'retry-after': '2' },
      { error: { code: 'SERVICE_UNAVAILABLE', message: DB_DOWN_MESSAGE } },
    ],
    [
      'a serialization failure, raw',
      Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' }),
      503,
      { 'retry-after': '2' },
      { error: { code: 'SERVICE_UNAVAILABLE', message: DB_DOWN_MESSAGE } },
    ],
    [
      'a body that is not JSON',
      bodyParserError(400, 'entity.parse.failed', 'Unexpected token } in JSON at position 1'),
      400,
      {},
      { error: { code: 'BAD_REQUEST', message: 'Request body is not valid JSON' } },
    ],
    [
      'a body too large',
      bodyParserError(413, 'entity.too.large', 'request entity too large'),
      413,
      {},
      { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' } },
    ],
    [
      'another 4xx Express raised: its own message',
      bodyParserError(400, 'charset.unsupported', 'unsupported charset "LATIN-2"'),
      400,
      {},
      { error: { code: 'BAD_REQUEST', message: 'unsupported charset "LATIN-2"' } },
    ],
    [
      'a bug: a 500 that says nothing',
      new Error('Cannot read properties of undefined'),
      500,
      {},
      { error: { code: 'INTERNAL', message: 'Internal server error' } },
      true,
    ],
    [
      'an error carrying a 5xx status is a bug too',
      Object.assign(new Error('boom'), { status: 502 }),
      500,
      {},
      { error: { code: 'INTERNAL', message: 'Internal server error' } },
      true,
    ],
    [
      'something thrown that is no Error',
      undefined,
      500,
      {},
      { error: { code: 'INTERNAL', message: 'Internal server error' } },
      true,
    ],
  ])('%s', (_name, error, status, headers, body, isUnexpected = false) => {
    const answer = errorAnswerOf(error);
    expect(answer).toEqual({ status, headers, body, isUnexpected });
    // Byte for byte: key order and no stray undefined fields.
    expect(JSON.stringify(answer.body)).toBe(JSON.stringify(body));
    const schema = status === 402 ? paymentRequiredBodySchema : errorBodySchema;
    expect(schema.safeParse(answer.body).success).toBe(true);
  });

  it('sends the 402 body the domain built, not a copy', () => {
    const error = paymentRequired();
    expect(errorAnswerOf(error).body).toBe(error.details?.body);
  });
});

describe('wireErrorOfTRPC: what the tRPC error formatter reads', () => {
  it.each([
    [
      'the context could not be built: the database is away',
      new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: connectionRefused() }),
      { status: 503, trpcCode: 'SERVICE_UNAVAILABLE', code: 'SERVICE_UNAVAILABLE', message: DB_DOWN_MESSAGE },
    ],
    [
      'a domain error: its code next to the tRPC one',
      toTRPCError(new AppError('TRIAL_NOT_ALLOWED', 'The trial was used')),
      { status: 409, trpcCode: 'CONFLICT', code: 'TRIAL_NOT_ALLOWED', message: 'The trial was used' },
    ],
    [
      "tRPC's own refusal",
      new TRPCError({ code: 'NOT_FOUND', message: 'No procedure found on path "nope"' }),
      { status: 404, trpcCode: 'NOT_FOUND', code: 'NOT_FOUND', message: 'No procedure found on path "nope"' },
    ],
  ])('%s', (_name, error, expected) => {
    expect(wireErrorOfTRPC(error)).toEqual({ ...expected, fieldErrors: null });
  });

  it('gives per-field messages of an invalid input', () => {
    expect(wireErrorOfTRPC(invalidInput()).fieldErrors).toEqual({
      email: ['must be an email address'],
      name: ['Invalid input: expected string, received number'],
    });
  });
});

describe('errorAnswer: an answer a route decides itself', () => {
  it('has the one body shape and no headers', () => {
    expect(errorAnswer(400, 'BAD_SIGNATURE', 'Missing Stripe-Signature header')).toEqual({
      status: 400,
      headers: {},
      body: { error: { code: 'BAD_SIGNATURE', message: 'Missing Stripe-Signature header' } },
      isUnexpected: false,
    });
  });
});
