import { describe, expect, it } from 'vitest';
import {
  currentMonth,
  defaultRange,
  rangeFromQuery,
  rangeProblem,
  rangeToQuery,
  toAnalyticsInput,
} from './analytics-range';

const NOW = new Date('2026-03-10T12:00:00Z');

describe('analytics range', () => {
  it('defaults to the last 12 UTC months, this one included', () => {
    expect(defaultRange(NOW)).toEqual({ from: '2025-04', to: '2026-03', plans: [] });
    expect(currentMonth(new Date('2026-01-01T00:30:00+01:00'))).toBe('2025-12');
  });

  it('reads the range and plans from the URL, and writes them back', () => {
    const range = rangeFromQuery({ from: '2025-11', to: '2026-02', plan: ['PRO', 'NOPE'] }, NOW);
    expect(range).toEqual({ from: '2025-11', to: '2026-02', plans: ['PRO'] });
    expect(rangeToQuery(range)).toEqual({ from: '2025-11', to: '2026-02', plan: ['PRO'] });
    expect(toAnalyticsInput(range)).toEqual({ from: '2025-11', to: '2026-02', plans: ['PRO'] });
    expect(toAnalyticsInput({ ...range, plans: [] })).toEqual({ from: '2025-11', to: '2026-02' });
  });

  it('falls back to the default for a reversed, too long or malformed range', () => {
    expect(rangeFromQuery({ from: '2026-02', to: '2025-11' }, NOW).from).toBe('2025-04');
    expect(rangeFromQuery({ from: '2020-01', to: '2026-02' }, NOW).from).toBe('2025-04');
    expect(rangeFromQuery({ from: '2026-13', to: '2026-02' }, NOW).from).toBe('2025-04');
  });

  it('explains what is wrong with a range typed in the form', () => {
    expect(rangeProblem('2026-01', '2026-01')).toBeNull();
    expect(rangeProblem('2026-02', '2026-01')).toBe('The first month must come before the last.');
    expect(rangeProblem('2023-01', '2026-01')).toBe('Choose at most 36 months.');
    expect(rangeProblem('', '2026-01')).toBe('Choose a first and a last month.');
  });
});
