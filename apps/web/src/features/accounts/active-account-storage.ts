/**
 * The active team account, per tab (sessionStorage: two tabs can work in two accounts) and per user
 * (a team id of the previous user of this tab is never sent for the next one). No entry: personal.
 */
const KEY_PREFIX = 'tollgate.activeAccount.';

function storage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    // Storage disabled (privacy settings): the choice lasts until the page is reloaded.
    return null;
  }
}

export function readActiveAccount(userId: string | null): string | null {
  if (userId === null) return null;
  return storage()?.getItem(KEY_PREFIX + userId) ?? null;
}

export function storeActiveAccount(userId: string | null, accountId: string | null): void {
  const store = storage();
  if (userId === null || !store) return;
  if (accountId === null) store.removeItem(KEY_PREFIX + userId);
  else store.setItem(KEY_PREFIX + userId, accountId);
}
