import { describe, expect, it } from 'vitest';
import { buildHistory } from '../../src/index';
import { stateAt } from '../../src/analytics/subscription-history';
import { at } from '../helpers';
import { row } from './rows';

describe('the subscription history, indexed', () => {
  it('groups rows by account and subscription, oldest first whatever the input order', () => {
    const history = buildHistory([
      row('2024-03-01T00:00:00Z', { status: 'canceled' }),
      row('2024-01-01T00:00:00Z'),
      row('2024-02-01T00:00:00Z', { subscriptionId: 's2' }),
      row('2024-02-01T00:00:00Z', { status: 'past_due' }),
      row('2024-01-05T00:00:00Z', { accountId: 'B' }),
    ]);
    expect([...history.accounts.keys()]).toEqual(['A', 'B']);
    const [s1, s2] = history.accounts.get('A') ?? [];
    expect(s1?.map((r) => r.status)).toEqual(['active', 'past_due', 'canceled']);
    expect(s2?.map((r) => r.subscriptionId)).toEqual(['s2']);
    expect(history.accounts.get('B')).toHaveLength(1);
  });

  it('refuses two states of one subscription at the same instant (which one held would be a guess)', () => {
    const first = row('2024-01-01T00:00:00Z');
    expect(() => buildHistory([first, { ...first, status: 'canceled' }])).toThrow(RangeError);
    // The same instant in two subscriptions, or in two accounts, is fine.
    expect(() => buildHistory([first, { ...first, subscriptionId: 's2' }])).not.toThrow();
    expect(() => buildHistory([first, { ...first, accountId: 'B' }])).not.toThrow();
  });

  it('holds a state from its `at` (included) until the next row', () => {
    const [rows = []] =
      buildHistory([
        row('2024-01-10T00:00:00Z'),
        row('2024-02-10T00:00:00Z', { status: 'canceled' }),
      ]).accounts.get('A') ?? [];
    expect(stateAt(rows, at('2024-01-09T23:59:59.999Z').getTime())).toBeUndefined();
    expect(stateAt(rows, at('2024-01-10T00:00:00Z').getTime())?.status).toBe('active');
    expect(stateAt(rows, at('2024-02-10T00:00:00Z').getTime() - 1)?.status).toBe('active');
    expect(stateAt(rows, at('2024-02-10T00:00:00Z').getTime())?.status).toBe('canceled');
    expect(stateAt(rows, at('2030-01-01T00:00:00Z').getTime())?.status).toBe('canceled');
  });
});
