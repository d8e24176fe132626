import { RUN_PACKS, type RunPackId } from '@tollgate/domain';
import { formatCount } from '../../lib/format';
import type { AutoTopUpChange, AutoTopUpSettings } from './spend.api';

/** The server's bound on purchases per calendar month (billing.updateSpendSettings' autoTopUp). */
export const MAX_MONTHLY_PURCHASES = 31;

/** A first setup's suggestion: the smallest pack, bought when fewer than 20 runs are left, thrice a month. */
const DEFAULTS = { threshold: '20', packId: 'PACK_100' as RunPackId, monthlyLimit: '3' };

/** The auto top-up form as typed. */
export interface AutoTopUpDraft {
  isEnabled: boolean;
  threshold: string;
  packId: RunPackId;
  monthlyLimit: string;
}

export interface AutoTopUpErrors {
  threshold?: string;
  monthlyLimit?: string;
}

export type AutoTopUpParse =
  { isValid: true; autoTopUp: AutoTopUpChange | null } | { isValid: false; errors: AutoTopUpErrors };

const WHOLE = /^\d+$/;

function wholeNumber(text: string): number {
  const trimmed = text.trim().replace(/,/g, '');
  return WHOLE.test(trimmed) ? Number(trimmed) : Number.NaN;
}

export function toAutoTopUpDraft(settings: AutoTopUpSettings): AutoTopUpDraft {
  return {
    isEnabled: settings.enabled,
    threshold: settings.threshold === null ? DEFAULTS.threshold : String(settings.threshold),
    packId: settings.packId ?? DEFAULTS.packId,
    monthlyLimit: settings.monthlyLimit === null ? DEFAULTS.monthlyLimit : String(settings.monthlyLimit),
  };
}

/**
 * Checks the form as the server will: the threshold must be below the pack's runs (a pack that doesn't
 * lift the balance over it would be bought again at once), at most 31 purchases a month. Off → null.
 */
export function parseAutoTopUpDraft(draft: AutoTopUpDraft): AutoTopUpParse {
  if (!draft.isEnabled) return { isValid: true, autoTopUp: null };
  const units = RUN_PACKS[draft.packId].units;
  const threshold = wholeNumber(draft.threshold);
  const monthlyLimit = wholeNumber(draft.monthlyLimit);
  const errors: AutoTopUpErrors = {};
  if (!(threshold >= 1 && threshold < units)) {
    errors.threshold = `Use a whole number from 1 to ${formatCount(units - 1)}: below the pack's ${formatCount(units)} runs.`;
  }
  if (!(monthlyLimit >= 1 && monthlyLimit <= MAX_MONTHLY_PURCHASES)) {
    errors.monthlyLimit = `Use a whole number from 1 to ${MAX_MONTHLY_PURCHASES}.`;
  }
  if (errors.threshold || errors.monthlyLimit) return { isValid: false, errors };
  return { isValid: true, autoTopUp: { threshold, packId: draft.packId, monthlyLimit } };
}
