import { describe, expect, it } from 'vitest';
import {
  AppError,
  APP_ERROR_CODES,
  decideRun,
  isAppError,
  paymentRequiredBodySchema,
  resolveEntitlement,
  toPaymentRequiredBody,
} from '../src/index';
import { at, makeState } from './helpers';

describe('toPaymentRequiredBody', () => {
  it('turns a denial into the 402 body with an ISO reset time', () => {
    const entitlement = resolveEntitlement(makeState(), at('2025-03-10T12:00:00+14:00'), { graceDays: 7 });
    const denial = decideRun(entitlement, 10);
    if (denial.allowed) throw new Error('expected a denial');
    const body = toPaymentRequiredBody(denial, 'https://app.example.com/settings/billing');
    expect(body).toEqual({
      error: {
        code: 'USAGE_LIMIT_REACHED',
        message: denial.message,
        plan: 'FREE',
        status: 'active',
        used: 10,
        limit: 10,
        resetsAt: '2025-03-31T08:00:00.000Z',
        upgradeUrl: 'https://app.example.com/settings/billing',
      },
    });
    expect(paymentRequiredBodySchema.parse(JSON.parse(JSON.stringify(body)))).toEqual(body);
  });
});

describe('paymentRequiredBodySchema', () => {
  const valid = {
    error: {
      code: 'PAYMENT_PAST_DUE',
      message: 'm',
      plan: 'PRO',
      status: 'past_due',
      used: 3,
      limit: 1000,
      resetsAt: '2025-04-01T00:00:00.000Z',
      upgradeUrl: '/settings/billing',
    },
  };

  it('accepts a valid body', () => {
    expect(paymentRequiredBodySchema.safeParse(valid).success).toBe(true);
  });

  it.each([
    ['an unknown code', { code: 'NOPE' }],
    ['an unknown plan', { plan: 'GOLD' }],
    ['an unknown status', { status: 'late' }],
    ['a negative count', { used: -1 }],
    ['a fractional limit', { limit: 1.5 }],
    ['a non-ISO reset time', { resetsAt: 'tomorrow' }],
    ['an empty upgrade url', { upgradeUrl: '' }],
  ])('rejects %s', (_label, change) => {
    expect(paymentRequiredBodySchema.safeParse({ error: { ...valid.error, ...change } }).success).toBe(false);
  });
});

describe('AppError', () => {
  it('carries a code, a user-safe message and details', () => {
    const error = new AppError('CONFLICT', 'Already there', { id: 1 });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'AppError',
      code: 'CONFLICT',
      message: 'Already there',
      details: { id: 1 },
    });
    expect(isAppError(error)).toBe(true);
    expect(isAppError(error, 'CONFLICT')).toBe(true);
    expect(isAppError(error, 'NOT_FOUND')).toBe(false);
    expect(isAppError(new Error('x'))).toBe(false);
  });

  it('has the codes the api maps to HTTP', () => {
    expect(APP_ERROR_CODES).toContain('PAYMENT_REQUIRED');
    expect(APP_ERROR_CODES).toContain('TRIAL_NOT_ALLOWED');
    expect(APP_ERROR_CODES).toContain('UNKNOWN_USER');
    expect(new Set(APP_ERROR_CODES).size).toBe(APP_ERROR_CODES.length);
  });
});
