import { describe, expect, it } from 'vitest';
import { parseAutoTopUpDraft, toAutoTopUpDraft } from './auto-top-up-rules';

const stored = {
  enabled: true,
  threshold: 50,
  packId: 'PACK_1000' as const,
  monthlyLimit: 5,
  purchasesThisMonth: 1,
  backoffUntil: null,
  lastFailure: null,
};

describe('auto top-up rules', () => {
  it('starts from the stored settings, or from a suggestion on first setup', () => {
    expect(toAutoTopUpDraft(stored)).toEqual({
      isEnabled: true,
      threshold: '50',
      packId: 'PACK_1000',
      monthlyLimit: '5',
    });
    expect(
      toAutoTopUpDraft({ ...stored, enabled: false, threshold: null, packId: null, monthlyLimit: null }),
    ).toEqual({ isEnabled: false, threshold: '20', packId: 'PACK_100', monthlyLimit: '3' });
  });

  it('off is null, whatever the fields say', () => {
    expect(
      parseAutoTopUpDraft({ isEnabled: false, threshold: 'x', packId: 'PACK_100', monthlyLimit: '99' }),
    ).toEqual({ isValid: true, autoTopUp: null });
  });

  it('takes a threshold below the pack and 1 to 31 purchases a month', () => {
    expect(
      parseAutoTopUpDraft({ isEnabled: true, threshold: '99', packId: 'PACK_100', monthlyLimit: '31' }),
    ).toEqual({ isValid: true, autoTopUp: { threshold: 99, packId: 'PACK_100', monthlyLimit: 31 } });
    expect(
      parseAutoTopUpDraft({ isEnabled: true, threshold: '999', packId: 'PACK_1000', monthlyLimit: '1' }),
    ).toEqual({ isValid: true, autoTopUp: { threshold: 999, packId: 'PACK_1000', monthlyLimit: 1 } });
  });

  it.each([
    ['100', '3', 'threshold'],
    ['0', '3', 'threshold'],
    ['2.5', '3', 'threshold'],
    ['20', '0', 'monthlyLimit'],
    ['20', '32', 'monthlyLimit'],
    ['20', '', 'monthlyLimit'],
  ])('refuses threshold %s with %s purchases a month (%s)', (threshold, monthlyLimit, field) => {
    const parsed = parseAutoTopUpDraft({ isEnabled: true, threshold, packId: 'PACK_100', monthlyLimit });
    expect(parsed.isValid).toBe(false);
    expect(parsed.isValid ? [] : Object.keys(parsed.errors)).toEqual([field]);
  });

  it("says the pack's bound in the threshold's message", () => {
    const parsed = parseAutoTopUpDraft({
      isEnabled: true,
      threshold: '100',
      packId: 'PACK_100',
      monthlyLimit: '3',
    });
    expect(parsed.isValid ? null : parsed.errors.threshold).toBe(
      "Use a whole number from 1 to 99: below the pack's 100 runs.",
    );
  });
});
