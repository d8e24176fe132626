import { describe, expect, it } from 'vitest';
import { previousAttributes } from './diff';

describe('previousAttributes', () => {
  it('reports nested objects key by key and arrays whole, like Stripe', () => {
    const before = {
      status: 'active',
      cancel_at_period_end: false,
      cancellation_details: { reason: null as string | null, comment: null },
      items: { object: 'list', data: [{ id: 'si_1', price: 'a' }] },
      untouched: { x: 1 },
    };
    const after = {
      status: 'active',
      cancel_at_period_end: true,
      cancellation_details: { reason: 'cancellation_requested', comment: null },
      items: { object: 'list', data: [{ id: 'si_1', price: 'b' }] },
      untouched: { x: 1 },
    };
    expect(previousAttributes(before, after)).toEqual({
      cancel_at_period_end: false,
      cancellation_details: { reason: null },
      items: { data: [{ id: 'si_1', price: 'a' }] },
    });
  });

  it('returns null when nothing changed', () => {
    expect(previousAttributes({ a: 1, b: { c: [1] } }, { a: 1, b: { c: [1] } })).toBeNull();
  });
});
