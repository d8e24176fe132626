import { formatCount } from '../../lib/format';
import type { UsageAlertSettings } from './usage-alerts.api';

/** The server's limits (usage.setAlertSettings' input), checked here so the form can say what's wrong. */
export const MAX_PERCENTS = 5;
export const RUNS_REMAINING_MAX = 1_000_000;

/** The form as typed: thresholds as "50, 80, 100", runs remaining as a number or empty. */
export interface UsageAlertsDraft {
  percents: string;
  runsRemaining: string;
}

export interface UsageAlertsErrors {
  percents?: string;
  runsRemaining?: string;
}

export type UsageAlertsParse =
  { isValid: true; settings: UsageAlertSettings } | { isValid: false; errors: UsageAlertsErrors };

const WHOLE_NUMBER = /^\d+$/;

function parsePercents(text: string): { percents: number[] } | { error: string } {
  const parts = text
    .split(/[\s,;]+/)
    .map((part) => part.replace(/%$/, ''))
    .filter((part) => part !== '');
  const percents: number[] = [];
  for (const part of parts) {
    const value = WHOLE_NUMBER.test(part) ? Number(part) : Number.NaN;
    if (!(value >= 1 && value <= 100)) {
      return { error: `"${part}" isn't a percentage: use whole numbers from 1 to 100.` };
    }
    if (percents.includes(value)) return { error: `${value}% is listed twice: list each threshold once.` };
    percents.push(value);
  }
  if (percents.length > MAX_PERCENTS) return { error: `Choose at most ${MAX_PERCENTS} thresholds.` };
  return { percents: percents.sort((a, b) => a - b) };
}

function parseRunsRemaining(text: string): { runsRemaining: number | null } | { error: string } {
  const trimmed = text.trim().replace(/,/g, '');
  if (trimmed === '') return { runsRemaining: null };
  const value = WHOLE_NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(value >= 1 && value <= RUNS_REMAINING_MAX)) {
    return {
      error: `Use a whole number from 1 to ${formatCount(RUNS_REMAINING_MAX)}, or leave it empty for no alert.`,
    };
  }
  return { runsRemaining: value };
}

/** Checks the form; sorted thresholds when valid, a message per field when not. */
export function parseUsageAlerts(draft: UsageAlertsDraft): UsageAlertsParse {
  const percents = parsePercents(draft.percents);
  const runsRemaining = parseRunsRemaining(draft.runsRemaining);
  if ('error' in percents || 'error' in runsRemaining) {
    return {
      isValid: false,
      errors: {
        ...('error' in percents ? { percents: percents.error } : {}),
        ...('error' in runsRemaining ? { runsRemaining: runsRemaining.error } : {}),
      },
    };
  }
  return {
    isValid: true,
    settings: { percents: percents.percents, runsRemaining: runsRemaining.runsRemaining },
  };
}

export function toDraft(settings: UsageAlertSettings): UsageAlertsDraft {
  return {
    percents: settings.percents.join(', '),
    runsRemaining: settings.runsRemaining === null ? '' : String(settings.runsRemaining),
  };
}

/** "At 50%, 80% and 100% of the runs, and when 10 runs are left." */
export function describeUsageAlerts(settings: UsageAlertSettings): string {
  const percents = settings.percents.map((percent) => `${percent}%`);
  const listed =
    percents.length <= 1 ? (percents[0] ?? '') : `${percents.slice(0, -1).join(', ')} and ${percents.at(-1)}`;
  const parts = [
    ...(listed ? [`at ${listed} of the period's runs`] : []),
    ...(settings.runsRemaining === null
      ? []
      : [
          `when ${formatCount(settings.runsRemaining)} ${settings.runsRemaining === 1 ? 'run is' : 'runs are'} left`,
        ]),
  ];
  if (parts.length === 0) return 'No usage alerts are set.';
  const sentence = parts.join(', and ');
  return `Alerts ${sentence}.`;
}
