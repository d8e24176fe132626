import { describe, expect, it } from 'vitest';
import { canPerform, isStaff, maxGrantUnits, type ConsoleAction } from './console-access';

const ALL: ConsoleAction[] = [
  'grantRuns',
  'revokeGrant',
  'setRunLimit',
  'spendCap',
  'comp',
  'trial',
  'enterpriseDeal',
  'resync',
  'cancel',
];

describe('console access', () => {
  it('staff are operators and support, nobody else', () => {
    expect(isStaff('operator')).toBe(true);
    expect(isStaff('support')).toBe(true);
    expect(isStaff(null)).toBe(false);
  });

  it('an operator may do everything', () => {
    expect(ALL.filter((action) => canPerform('operator', action))).toEqual(ALL);
  });

  it('support extends or restarts trials and grants runs, nothing else', () => {
    expect(ALL.filter((action) => canPerform('support', action))).toEqual(['grantRuns', 'trial']);
  });

  it('a user without a platform role may do nothing', () => {
    expect(ALL.filter((action) => canPerform(null, action))).toEqual([]);
  });

  it('support grants at most 1,000 runs at a time', () => {
    expect(maxGrantUnits('support')).toBe(1_000);
    expect(maxGrantUnits('operator')).toBe(10_000_000);
  });
});
