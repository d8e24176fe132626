import type { Pinia, StoreGeneric } from 'pinia';

/**
 * Forgets a signed-out user's data: disposes the stores and drops their state, so the next user of
 * this tab starts from empty stores instead of seeing the last one's sessions or plan.
 */
export function resetStores(pinia: Pinia, stores: StoreGeneric[]): void {
  for (const store of stores) {
    store.$dispose();
    delete pinia.state.value[store.$id];
  }
}
