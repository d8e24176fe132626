import { describe, expect, it } from 'vitest';
import { describeUsageAlerts, parseUsageAlerts, toDraft } from './usage-alert-rules';

describe('usage alert rules', () => {
  it.each([
    { percents: '80, 50, 100', runs: '', settings: { percents: [50, 80, 100], runsRemaining: null } },
    { percents: '50% 90%', runs: '25', settings: { percents: [50, 90], runsRemaining: 25 } },
    { percents: '', runs: '1,000,000', settings: { percents: [], runsRemaining: 1_000_000 } },
    { percents: '1,2,3,4,5', runs: '1', settings: { percents: [1, 2, 3, 4, 5], runsRemaining: 1 } },
  ])('accepts "$percents" / "$runs"', ({ percents, runs, settings }) => {
    expect(parseUsageAlerts({ percents, runsRemaining: runs })).toEqual({ isValid: true, settings });
  });

  it.each([
    { percents: '0', error: `"0" isn't a percentage: use whole numbers from 1 to 100.` },
    { percents: '101', error: `"101" isn't a percentage: use whole numbers from 1 to 100.` },
    { percents: '50.5', error: `"50.5" isn't a percentage: use whole numbers from 1 to 100.` },
    { percents: 'eighty', error: `"eighty" isn't a percentage: use whole numbers from 1 to 100.` },
    { percents: '80, 80', error: '80% is listed twice: list each threshold once.' },
    { percents: '10, 20, 30, 40, 50, 60', error: 'Choose at most 5 thresholds.' },
  ])('refuses percents "$percents"', ({ percents, error }) => {
    expect(parseUsageAlerts({ percents, runsRemaining: '' })).toEqual({
      isValid: false,
      errors: { percents: error },
    });
  });

  it.each(['0', '1000001', '-5', '2.5', 'ten'])('refuses runs remaining "%s"', (runs) => {
    expect(parseUsageAlerts({ percents: '80', runsRemaining: runs })).toEqual({
      isValid: false,
      errors: {
        runsRemaining: 'Use a whole number from 1 to 1,000,000, or leave it empty for no alert.',
      },
    });
  });

  it('round-trips stored settings through the form', () => {
    const settings = { percents: [50, 80], runsRemaining: 10 };
    expect(parseUsageAlerts(toDraft(settings))).toEqual({ isValid: true, settings });
  });

  it.each([
    { settings: { percents: [], runsRemaining: null }, text: 'No usage alerts are set.' },
    { settings: { percents: [80], runsRemaining: null }, text: "Alerts at 80% of the period's runs." },
    {
      settings: { percents: [50, 80, 100], runsRemaining: 1 },
      text: "Alerts at 50%, 80% and 100% of the period's runs, and when 1 run is left.",
    },
  ])('describes $settings', ({ settings, text }) => {
    expect(describeUsageAlerts(settings)).toBe(text);
  });
});
