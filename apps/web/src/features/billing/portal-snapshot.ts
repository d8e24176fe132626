import type { SubscriptionOverview } from './billing.api';

const STORAGE_KEY = 'tollgate.before-portal';

/** What a change in the billing portal can alter; equal strings mean "nothing seen yet". */
export function overviewFingerprint(overview: SubscriptionOverview | null): string {
  if (!overview) return '';
  const { plan, status, cancelAtPeriodEnd, endsAt, graceEndsAt } = overview;
  return JSON.stringify([plan, status, cancelAtPeriodEnd, endsAt, graceEndsAt]);
}

/**
 * Kept across the trip to the portal (a full page load) in this tab's sessionStorage: the webhook often
 * lands before the user is back, so only the state from before leaving tells whether it already did.
 */
export function rememberBeforePortal(overview: SubscriptionOverview | null): void {
  try {
    if (overview) window.sessionStorage.setItem(STORAGE_KEY, overviewFingerprint(overview));
  } catch {
    // Storage refused (private mode, quota): the return page just watches for a while instead.
  }
}

/** The remembered fingerprint, once: a later reload of the page starts from scratch. */
export function takeBeforePortal(): string | null {
  try {
    const value = window.sessionStorage.getItem(STORAGE_KEY);
    window.sessionStorage.removeItem(STORAGE_KEY);
    return value;
  } catch {
    return null;
  }
}
