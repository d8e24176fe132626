import { describe, expect, it } from 'vitest';
import {
  AppError,
  applyStripeSubscription,
  decideRun,
  freePeriodAt,
  resolveEntitlement,
  startTrialState,
  type StripeSubscriptionSnapshot,
} from '../src/index';
import { at, makeState } from './helpers';

// Inputs no caller should ever pass: an Invalid Date would silently poison every comparison, a bad
// count or grace period every limit. The rules refuse them as INTERNAL (a bug on our side, a 500) and
// name the culprit in `details` for the logs.
const INVALID = new Date(Number.NaN);
const NOW = at('2025-03-10T12:00:00Z');
const SNAPSHOT: StripeSubscriptionSnapshot = {
  id: 'sub_1',
  customerId: 'cus_1',
  status: 'active',
  priceId: null,
  currentPeriodStart: null,
  currentPeriodEnd: null,
  cancelAtPeriodEnd: false,
  cancelAt: null,
  trialStart: null,
  trialEnd: null,
  created: NOW,
  metadataUserId: null,
  metadataAccountId: null,
  quantity: null,
  recurringPrice: null,
  itemPriceIds: [],
};
const FREE = resolveEntitlement(makeState(), NOW, { graceDays: 7 });

describe('invalid inputs are refused as INTERNAL, naming the culprit', () => {
  it.each([
    [
      'resolveEntitlement: now',
      () => resolveEntitlement(makeState(), INVALID, { graceDays: 7 }),
      { field: 'now' },
    ],
    [
      'resolveEntitlement: accountCreatedAt',
      () => resolveEntitlement(makeState({ accountCreatedAt: INVALID }), NOW, { graceDays: 7 }),
      { field: 'accountCreatedAt' },
    ],
    [
      'resolveEntitlement: graceDays -1',
      () => resolveEntitlement(makeState(), NOW, { graceDays: -1 }),
      { graceDays: -1 },
    ],
    ['freePeriodAt: accountCreatedAt', () => freePeriodAt(INVALID, NOW), { field: 'accountCreatedAt' }],
    ['freePeriodAt: now', () => freePeriodAt(NOW, INVALID), { field: 'now' }],
    ['startTrialState: now', () => startTrialState(makeState(), INVALID), { field: 'now' }],
    [
      'applyStripeSubscription: now',
      () => applyStripeSubscription(makeState(), SNAPSHOT, () => null, INVALID),
      { field: 'now' },
    ],
    ['decideRun: usedBefore -1', () => decideRun(FREE, -1), { usedBefore: -1 }],
    ['decideRun: usedBefore 0.5', () => decideRun(FREE, 0.5), { usedBefore: 0.5 }],
  ] as const)('%s', (_label, call, details) => {
    expect(call).toThrow(AppError);
    expect(call).toThrow(expect.objectContaining({ code: 'INTERNAL', details }));
  });

  it.each([0, 7, 0.5])('accepts graceDays %s', (graceDays) => {
    expect(() => resolveEntitlement(makeState(), NOW, { graceDays })).not.toThrow();
  });
});
