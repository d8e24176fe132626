import type { PollOptions } from '../billing/billing.store';
import type { CreditGrant } from './credits.api';
import { useCreditsStore } from './credits.store';
import { newPackIn, takePacksBeforeCheckout } from './pack-snapshot';

/**
 * Back from a pack's Checkout: the pack is credited by Stripe's webhook, often before the user is back,
 * sometimes a little after. Reads the balance until a pack that wasn't there before leaving shows up
 * (bounded: a lost webhook never leaves a spinner forever). Resolves to it, or null when it didn't.
 */
export async function waitForNewPack(options: PollOptions): Promise<CreditGrant | null> {
  const credits = useCreditsStore();
  const knownBefore = takePacksBeforeCheckout();
  let found: CreditGrant | null = null;
  await credits.pollUntil((next) => {
    found = newPackIn(next, knownBefore);
    return found !== null;
  }, options);
  return found;
}
