import { nextTick, onBeforeUnmount, ref } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import type { SubscriptionOverview } from './billing.api';
import { useBillingStore, type PollOptions } from './billing.store';
import { overviewFingerprint, takeBeforePortal } from './portal-snapshot';
import { useCreditsStore } from '../credits/credits.store';
import { waitForNewPack } from '../credits/pack-return';

export type ReturnBanner =
  | { kind: 'activating' }
  | { kind: 'activated'; planName: string }
  | { kind: 'delayed' }
  | { kind: 'canceled'; planName: string }
  | { kind: 'checking-portal' }
  | { kind: 'pack-adding' }
  | { kind: 'pack-added'; name: string; expiresAt: string | null }
  | { kind: 'pack-delayed' }
  | { kind: 'pack-canceled' };

/** Poll bounds (the e2e and component tests keep the defaults; a test may shorten them). */
export interface ReturnOptions {
  checkout?: PollOptions;
  portal?: PollOptions;
  pack?: PollOptions;
}

const CHECKOUT_POLL: PollOptions = { attempts: 20, intervalMs: 1500 };
const PORTAL_POLL: PollOptions = { attempts: 8, intervalMs: 1000 };
const PACK_POLL: PollOptions = { attempts: 20, intervalMs: 1500 };

/**
 * The settings page's answer to where the user came back from: Checkout (?success=1 / ?canceled=1),
 * a pack's Checkout (?pack=success / ?pack=canceled), the billing portal (?portal=1), or a 402's
 * upgradeUrl (?upgrade=1) or buyRunsUrl (?buy=1). After Checkout the plan or the pack only arrives once
 * Stripe's webhook is applied, so the page polls for it, within a bound.
 */
export function useReturnFromBilling(options: ReturnOptions = {}) {
  const route = useRoute();
  const router = useRouter();
  const billing = useBillingStore();
  const credits = useCreditsStore();
  const banner = ref<ReturnBanner | null>(null);
  const abort = new AbortController();
  onBeforeUnmount(() => abort.abort());

  async function start(): Promise<void> {
    const { success, canceled, portal, upgrade, pack, buy } = route.query;
    if (success || canceled || portal || upgrade || pack || buy) {
      // Drop the flags so a reload doesn't replay the banner or reopen the modal.
      await router.replace({ query: {} });
    }
    if (pack === 'success') return afterPackCheckout();
    void credits.load();
    if (pack === 'canceled') banner.value = { kind: 'pack-canceled' };
    if (upgrade) billing.openUpgrade();
    if (success) return afterCheckout();
    if (canceled) {
      await billing.load();
      banner.value = { kind: 'canceled', planName: billing.overview?.planDetails.name ?? 'current' };
      return;
    }
    if (portal) return afterPortal();
    if (buy) return showBuyRuns();
    await billing.load();
  }

  async function afterCheckout(): Promise<void> {
    banner.value = { kind: 'activating' };
    const isPaidNow = (next: SubscriptionOverview) =>
      next.planDetails.isPaid && (next.status === 'active' || next.status === 'trialing');
    const isDone = await billing.pollUntil(isPaidNow, {
      ...CHECKOUT_POLL,
      ...options.checkout,
      signal: abort.signal,
    });
    if (abort.signal.aborted) return;
    const planName = billing.overview?.planDetails.name ?? '';
    banner.value = isDone ? { kind: 'activated', planName } : { kind: 'delayed' };
  }

  async function afterPackCheckout(): Promise<void> {
    banner.value = { kind: 'pack-adding' };
    void billing.load();
    const pack = await waitForNewPack({ ...PACK_POLL, ...options.pack, signal: abort.signal });
    if (abort.signal.aborted) return;
    banner.value = pack
      ? { kind: 'pack-added', name: pack.name, expiresAt: pack.expiresAt }
      : { kind: 'pack-delayed' };
  }

  /** The 402's "buy runs" link: the packs, in view and focused (the section is rendered once loaded). */
  async function showBuyRuns(): Promise<void> {
    await billing.load();
    await nextTick();
    const section = document.getElementById('buy-runs');
    section?.scrollIntoView?.({ block: 'start' });
    section?.focus({ preventScroll: true });
  }

  /**
   * The portal's changes arrive by webhook too: watch for a few seconds for a state that differs from
   * the one before the user left, and stop as soon as it shows (often already on the first read).
   */
  async function afterPortal(): Promise<void> {
    banner.value = { kind: 'checking-portal' };
    const beforeLeaving = takeBeforePortal();
    await billing.load();
    const baseline = beforeLeaving ?? overviewFingerprint(billing.overview);
    const hasChanged = (next: SubscriptionOverview | null) => overviewFingerprint(next) !== baseline;
    if (!hasChanged(billing.overview)) {
      await billing.pollUntil(hasChanged, { ...PORTAL_POLL, ...options.portal, signal: abort.signal });
    }
    if (!abort.signal.aborted) banner.value = null;
  }

  return { banner, start };
}
