import { AppError } from '@tollgate/domain';
import { describe, expect, it } from 'vitest';
import { infallibleMetrics, noopMetrics, type Metrics } from './metrics';
import { authorizedCodeOf, refusedCodeOf } from './services/authorize-outcome';

describe('infallibleMetrics', () => {
  it('passes each call through, and drops whatever a hook throws', () => {
    const calls: unknown[][] = [];
    const failing: Metrics = {
      authorizeOutcome: (...args) => {
        calls.push(args);
        throw new Error('registry gone');
      },
      runBatch: (...args) => {
        calls.push(args);
        throw new Error('registry gone');
      },
      webhookEvent: (...args) => {
        calls.push(args);
        throw new TypeError('bad label');
      },
      reconciliation: (...args) => {
        calls.push(args);
        throw new Error('registry gone');
      },
    };
    const metrics = infallibleMetrics(failing);
    expect(() => {
      metrics.authorizeOutcome('ADMITTED');
      metrics.runBatch(3, 0.001);
      metrics.webhookEvent('invoice.paid', 'processed', 2);
      metrics.reconciliation('stripe_meter', { checked: 1, corrected: 0, failed: 0 });
    }).not.toThrow();
    expect(calls).toEqual([
      ['ADMITTED'],
      [3, 0.001],
      ['invoice.paid', 'processed', 2],
      ['stripe_meter', { checked: 1, corrected: 0, failed: 0 }],
    ]);
  });

  it('no metrics → the no-op hooks', () => {
    expect(infallibleMetrics(undefined)).toBe(noopMetrics);
  });
});

describe('authorize outcome labels', () => {
  it.each([
    [{ isReplay: false, state: 'reserved' as const }, 'ADMITTED'],
    [{ isReplay: true, state: 'started' as const }, 'REPLAYED'],
    [{ isReplay: true, state: 'released' as const }, 'RUN_RELEASED'],
  ])('%o → %s', (authorization, code) => expect(authorizedCodeOf(authorization)).toBe(code));

  it.each([
    [
      new AppError('PAYMENT_REQUIRED', 'no', { body: { error: { code: 'USAGE_LIMIT_REACHED' } } }),
      'USAGE_LIMIT_REACHED',
    ],
    [
      new AppError('PAYMENT_REQUIRED', 'no', { body: { error: { code: 'not a code <script>' } } }),
      'PAYMENT_REQUIRED',
    ],
    [new AppError('PAYMENT_REQUIRED', 'no'), 'PAYMENT_REQUIRED'],
    [new AppError('RUN_ID_REUSED', 'no'), 'RUN_ID_REUSED'],
    [new Error('connection lost'), 'ERROR'],
    ['a string', 'ERROR'],
  ])('%s → %s', (error, code) => expect(refusedCodeOf(error)).toBe(code));
});
