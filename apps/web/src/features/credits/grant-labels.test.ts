import { describe, expect, it } from 'vitest';
import { NOW, grantFixture } from '../../test/fixtures';
import { expiryText, grantBadge, grantNotes, originText, remainingText } from './grant-labels';

const RUNS = { singular: 'run', plural: 'runs' };

describe('grant labels', () => {
  it.each([
    { name: 'spendable', grant: grantFixture(), label: 'Active' },
    {
      name: 'expired',
      grant: grantFixture({ expiresAt: '2026-03-01T00:00:00.000Z', remaining: 0, isSpendable: false }),
      label: 'Expired',
    },
    {
      name: 'not started yet',
      grant: grantFixture({ startsAt: '2026-04-01T00:00:00.000Z', isSpendable: false }),
      label: 'Not started',
    },
    {
      name: 'refunded in full',
      grant: grantFixture({
        remaining: 0,
        clawbackUnits: 100,
        clawedBackUnits: 100,
        amountRefundedCents: 1000,
        isSpendable: false,
      }),
      label: 'Refunded',
    },
    {
      name: 'charged back in full',
      grant: grantFixture({
        remaining: 0,
        clawbackUnits: 100,
        clawedBackUnits: 100,
        amountDisputedCents: 1000,
        isSpendable: false,
      }),
      label: 'Charged back',
    },
    { name: 'spent', grant: grantFixture({ remaining: 0, isSpendable: false }), label: 'Used up' },
  ])('a $name grant is "$label"', ({ grant, label }) => {
    expect(grantBadge(grant, NOW).label).toBe(label);
  });

  it('says what is left of what was given', () => {
    expect(remainingText(grantFixture({ remaining: 93 }), RUNS)).toBe('93 of 100 runs left');
    expect(remainingText(grantFixture({ units: 1000, remaining: 1 }), RUNS)).toBe('1 of 1,000 runs left');
  });

  it('gives the expiry as the UTC calendar date, whatever the hour', () => {
    // 23:30 UTC is already the next day east of Greenwich: the pack's date must not move with the reader.
    const grant = grantFixture({ expiresAt: '2027-03-10T23:30:00.000Z' });
    expect(expiryText(grant, NOW)).toBe('Expires March 10, 2027 (UTC)');
    expect(expiryText(grantFixture({ expiresAt: '2026-03-01T00:00:00.000Z' }), NOW)).toBe(
      'Expired March 1, 2026 (UTC)',
    );
    expect(expiryText(grantFixture({ expiresAt: null, source: 'operator' }), NOW)).toBe('Never expires');
    expect(expiryText(grantFixture({ startsAt: '2026-04-01T00:00:00.000Z', expiresAt: null }), NOW)).toBe(
      'Starts April 1, 2026 · Never expires',
    );
  });

  it("doesn't call a grant made just now on a server clock a little ahead of the reader's a future one", () => {
    const inMinutes = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();
    const expiresAt = '2027-03-10T00:00:00.000Z';
    expect(expiryText(grantFixture({ startsAt: inMinutes(4), expiresAt }), NOW)).toBe(
      'Expires March 10, 2027 (UTC)',
    );
    expect(expiryText(grantFixture({ startsAt: inMinutes(60 * 24 * 3), expiresAt }), NOW)).toMatch(
      /^Starts /,
    );
  });

  it('says where a grant came from: a purchase and its price, or an operator', () => {
    expect(originText(grantFixture({ createdAt: '2026-03-05T10:00:00.000Z' }))).toBe(
      'Bought March 5, 2026 for $10',
    );
    expect(
      originText(
        grantFixture({ source: 'operator', amountPaidCents: null, createdAt: '2026-03-05T10:00:00.000Z' }),
      ),
    ).toBe('Granted March 5, 2026');
  });

  it.each([
    { name: 'an untouched pack', grant: grantFixture(), notes: [] },
    {
      name: 'a partly refunded pack',
      grant: grantFixture({
        remaining: 70,
        clawbackUnits: 30,
        clawedBackUnits: 30,
        amountRefundedCents: 300,
      }),
      notes: ['Refunded $3.00: 30 runs removed'],
    },
    {
      name: 'a refunded pack whose runs were partly spent already',
      grant: grantFixture({
        remaining: 0,
        clawbackUnits: 100,
        clawedBackUnits: 40,
        amountRefundedCents: 1000,
        isSpendable: false,
      }),
      notes: ['Refunded $10.00: 40 runs removed (60 already used)'],
    },
    {
      name: 'a pack whose payment was disputed with the bank, runs partly spent',
      grant: grantFixture({
        remaining: 0,
        clawbackUnits: 100,
        clawedBackUnits: 70,
        amountDisputedCents: 1000,
        isSpendable: false,
      }),
      notes: ['Charged back $10.00: 70 runs removed (30 already used)'],
    },
    {
      name: 'a pack partly refunded, then the rest disputed',
      grant: grantFixture({
        remaining: 0,
        clawbackUnits: 100,
        clawedBackUnits: 100,
        amountRefundedCents: 300,
        amountDisputedCents: 700,
        isSpendable: false,
      }),
      notes: ['Refunded $3.00 and charged back $7.00: 100 runs removed'],
    },
    {
      name: 'an expired pack',
      grant: grantFixture({ remaining: 0, expiredUnits: 12, expiresAt: '2026-03-01T00:00:00.000Z' }),
      notes: ['Expired: 12 runs unused'],
    },
    {
      name: "an operator's grant with its reason",
      grant: grantFixture({ source: 'operator', packId: null, reason: 'Outage on March 2' }),
      notes: ['Outage on March 2'],
    },
  ])('explains $name', ({ grant, notes }) => {
    expect(grantNotes(grant, RUNS)).toEqual(notes);
  });
});
