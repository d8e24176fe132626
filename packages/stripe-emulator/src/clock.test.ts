import { describe, expect, it } from 'vitest';
import { addInterval, createClock, nextPeriodEnd } from './clock';

const at = (iso: string): number => Date.parse(iso) / 1000;

describe('addInterval', () => {
  it.each([
    ['2025-01-31T10:00:00Z', 1, '2025-02-28T10:00:00Z'],
    ['2024-01-31T10:00:00Z', 1, '2024-02-29T10:00:00Z'],
    ['2025-01-31T10:00:00Z', 2, '2025-03-31T10:00:00Z'],
    ['2025-12-15T23:59:59Z', 1, '2026-01-15T23:59:59Z'],
    ['2025-03-31T00:00:00Z', 13, '2026-04-30T00:00:00Z'],
  ])('%s + %i month(s) = %s', (anchor, months, expected) => {
    expect(addInterval(at(anchor), 'month', months)).toBe(at(expected));
  });

  it('handles years and days', () => {
    expect(addInterval(at('2024-02-29T00:00:00Z'), 'year', 1)).toBe(at('2025-02-28T00:00:00Z'));
    expect(addInterval(at('2025-01-01T00:00:00Z'), 'day', 3)).toBe(at('2025-01-04T00:00:00Z'));
  });
});

describe('nextPeriodEnd', () => {
  it('is computed from the anchor so the billing day never drifts', () => {
    const anchor = at('2025-01-31T00:00:00Z');
    const feb = nextPeriodEnd(anchor, anchor, 'month', 1);
    expect(feb).toBe(at('2025-02-28T00:00:00Z'));
    expect(nextPeriodEnd(anchor, feb, 'month', 1)).toBe(at('2025-03-31T00:00:00Z'));
  });
});

describe('createClock', () => {
  it('starts at startTime and only moves forward', () => {
    const clock = createClock(new Date('2030-01-01T00:00:00Z'));
    const start = clock.nowSeconds();
    expect(Math.abs(start - at('2030-01-01T00:00:00Z'))).toBeLessThan(2);
    clock.moveTo(start + 86_400);
    expect(clock.nowSeconds()).toBeGreaterThanOrEqual(start + 86_400);
    clock.moveTo(start);
    expect(clock.nowSeconds()).toBeGreaterThanOrEqual(start + 86_400);
  });
});
