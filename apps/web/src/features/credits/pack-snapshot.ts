import type { CreditBalance } from './credits.api';

const STORAGE_KEY = 'tollgate.packs-before-checkout';
/** Without a snapshot, a pack credited this recently counts as the one just bought. */
const RECENT_MS = 30 * 60_000;

/**
 * The pack grants the account had before leaving for Checkout, kept across the trip (a full page load)
 * in this tab's sessionStorage: the webhook often credits the pack before the user is back, so only
 * the list from before leaving tells whether it already did.
 */
export function rememberPacksBeforeCheckout(balance: CreditBalance | null): void {
  try {
    if (balance) window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(packIdsOf(balance)));
  } catch {
    // Storage refused (private mode, quota): the return page looks for a recently credited pack instead.
  }
}

/** The remembered grant ids, once: a later reload starts from scratch. */
export function takePacksBeforeCheckout(): string[] | null {
  try {
    const value = window.sessionStorage.getItem(STORAGE_KEY);
    window.sessionStorage.removeItem(STORAGE_KEY);
    const parsed: unknown = value === null ? null : JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : null;
  } catch {
    return null;
  }
}

/** The pack the return page waits for: one not known before leaving (or, lacking that list, a recent one). */
export function newPackIn(
  balance: CreditBalance,
  knownBefore: readonly string[] | null,
  now = Date.now(),
): CreditBalance['grants'][number] | null {
  const packs = balance.grants.filter((grant) => grant.source === 'pack');
  const fresh = knownBefore
    ? packs.filter((grant) => !knownBefore.includes(grant.id))
    : packs.filter((grant) => now - new Date(grant.createdAt).getTime() < RECENT_MS);
  // Two new ones (a second tab bought too): the newest is the one this checkout most likely made.
  return fresh.reduce<CreditBalance['grants'][number] | null>(
    (newest, grant) => (newest && newest.createdAt >= grant.createdAt ? newest : grant),
    null,
  );
}

function packIdsOf(balance: CreditBalance): string[] {
  return balance.grants.filter((grant) => grant.source === 'pack').map((grant) => grant.id);
}
