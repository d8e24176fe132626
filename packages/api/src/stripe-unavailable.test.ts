import { AppError } from '@tollgate/domain';
import { TRPCError } from '@trpc/server';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { errorAnswerOf, wireErrorOfTRPC } from './error-answer';
import { STRIPE_UNAVAILABLE_MESSAGE, stripeUnavailableError } from './errors';

// Which Stripe errors are "Stripe is away for a moment" (503 + Retry-After, the same request may be
// sent again) and which stay what they were: Stripe refusing the request itself.

/** As tRPC hands on what a procedure threw: an INTERNAL_SERVER_ERROR caused by it. */
const thrownInProcedure = (cause: Error) => new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause });

const timeout = new Stripe.errors.StripeConnectionError({
  message: 'Request aborted due to timeout being reached (20000ms)',
});
const unreachable = new Stripe.errors.StripeConnectionError({
  message: 'An error occurred with our connection to Stripe. Request was retried 2 times.',
});
const stripe5xx = new Stripe.errors.StripeAPIError({ message: 'Service unavailable', statusCode: 503 });
const rateLimited = new Stripe.errors.StripeRateLimitError({
  message: 'Too many requests',
  statusCode: 429,
  headers: { 'retry-after': '12' },
});
const lockTimeout = new Stripe.errors.StripeAPIError({ message: 'lock_timeout', statusCode: 409 });

const UNAVAILABLE = { error: { code: 'SERVICE_UNAVAILABLE', message: STRIPE_UNAVAILABLE_MESSAGE } };

describe('a Stripe outage is a 503 with Retry-After, never a 500', () => {
  it.each<[string, Error, string]>([
    ['a timeout', timeout, '5'],
    ['a connection error', unreachable, '5'],
    ['a 5xx api_error', stripe5xx, '5'],
    ['a 409 api_error (lock timeout)', lockTimeout, '5'],
    ['a rate limit, with its own Retry-After', rateLimited, '12'],
  ])('%s', (_name, stripeError, retryAfter) => {
    for (const error of [stripeError, thrownInProcedure(stripeError), stripeUnavailableError(stripeError)]) {
      expect(errorAnswerOf(error)).toEqual({
        status: 503,
        headers: { 'retry-after': retryAfter },
        body: UNAVAILABLE,
        isUnexpected: false,
      });
    }
    expect(wireErrorOfTRPC(thrownInProcedure(stripeError))).toMatchObject({
      status: 503,
      trpcCode: 'SERVICE_UNAVAILABLE',
      message: STRIPE_UNAVAILABLE_MESSAGE,
    });
  });
});

describe('what is not an outage keeps its answer', () => {
  // The procedure's middleware logs these as errors (trpc.ts settleErrors); unwrapped, the caller does.
  it('Stripe refusing the request (invalid request, card, key) stays a 500 that says nothing', () => {
    for (const refusal of [
      new Stripe.errors.StripeInvalidRequestError({ message: 'No such price', statusCode: 400 }),
      new Stripe.errors.StripeCardError({ message: 'Your card was declined', statusCode: 402 }),
      new Stripe.errors.StripeAuthenticationError({ message: 'Invalid API Key', statusCode: 401 }),
      new Stripe.errors.StripeIdempotencyError({ message: 'Keys for idempotent requests', statusCode: 400 }),
    ]) {
      expect(errorAnswerOf(refusal)).toMatchObject({ status: 500, headers: {}, isUnexpected: true });
      expect(errorAnswerOf(thrownInProcedure(refusal))).toMatchObject({
        status: 500,
        headers: {},
        body: { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' } },
      });
    }
  });

  it('an answer chosen where Stripe was called (an operator action’s 502) is kept', () => {
    const chosen = new TRPCError({
      code: 'BAD_GATEWAY',
      message: 'Stripe could not cancel',
      cause: stripe5xx,
    });
    expect(errorAnswerOf(chosen)).toEqual({
      status: 502,
      headers: {},
      body: { error: { code: 'BAD_GATEWAY', message: 'Stripe could not cancel' } },
      isUnexpected: false,
    });
  });

  it('a domain error raised over a Stripe outage says what it says', () => {
    const domain = new AppError('NO_STRIPE_CUSTOMER', 'There is no billing account yet');
    Object.assign(domain, { cause: stripe5xx });
    expect(errorAnswerOf(domain)).toMatchObject({ status: 400, headers: {} });
  });
});
