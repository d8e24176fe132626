import type { PackOffer, RunPackId } from '@tollgate/domain';
import type { CheckoutPlanId } from '@tollgate/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import { createLatestOnly } from '../../lib/latest-only';
import { leaveAppTo, sleep } from '../../lib/navigation';
import { createBillingApi, type InvoiceSummary, type SubscriptionOverview } from './billing.api';
import { useAuthStore } from '../auth/auth.store';
import { isEmailNotVerified, verifyFirstMessage } from '../auth/email-verification';
import { rememberBeforePortal } from './portal-snapshot';
import { useCreditsStore } from '../credits/credits.store';
import { rememberPacksBeforeCheckout } from '../credits/pack-snapshot';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

/** What a run's answer says about usage (RouterOutputs['sessions']['run']['usage']). */
export interface UsageUpdate {
  used: number;
  limit: number;
  remaining: number;
  /** Units left in packs and grants (servers that sell packs send it). */
  credits?: number;
  resetsAt: string | Date;
}

export interface PollOptions {
  attempts?: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

/** The subscription overview, invoices, and the billing actions (trial, checkout, run pack, portal). */
export const useBillingStore = defineStore('billing', () => {
  const billingApi = createBillingApi(useApi());

  const overview = ref<SubscriptionOverview | null>(null);
  const status = ref<LoadStatus>('idle');
  const error = ref<string | null>(null);

  const invoices = ref<InvoiceSummary[]>([]);
  const invoicesStatus = ref<LoadStatus>('idle');
  const invoicesError = ref<string | null>(null);

  /** The action in flight: one at a time, so a double click never starts two checkouts. */
  const pendingAction = ref<'trial' | 'portal' | CheckoutPlanId | RunPackId | null>(null);
  const actionError = ref<string | null>(null);

  const isUpgradeOpen = ref(false);
  /** Packs the open upgrade modal offers too (a 402 that buying runs answers); empty otherwise. */
  const upgradePacks = ref<PackOffer[]>([]);
  const isBusy = computed(() => pendingAction.value !== null);

  // Back from a hosted page through the browser's back/forward cache: the redirect is over.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) pendingAction.value = null;
  });

  let loading: Promise<void> | null = null;
  /**
   * A read begun before newer state arrived (a trial taken, a poll's or a run's answer) may answer the
   * older state: it writes nothing.
   */
  const reads = createLatestOnly();

  /** Callers at the same moment (the header and a page) share one request. */
  function load(): Promise<void> {
    loading ??= (async () => {
      const read = reads.begin();
      status.value = 'loading';
      error.value = null;
      try {
        const next = await billingApi.subscription();
        if (!reads.isLatest(read)) return;
        overview.value = next;
        status.value = 'ready';
      } catch (failure) {
        if (!reads.isLatest(read)) return;
        error.value = errorMessage(failure);
        status.value = 'error';
      } finally {
        // Otherwise `loading` is a newer read's, or was dropped by a change since.
        if (reads.isLatest(read)) loading = null;
      }
    })();
    return loading;
  }

  /** Newer state arrived: reads under way write nothing, and the next load asks afresh, joining none. */
  function supersedeReads(): void {
    reads.supersede();
    loading = null;
  }

  /** First load only; the header and the pages share one overview. */
  function ensureLoaded(): Promise<void> {
    return status.value === 'idle' ? load() : Promise.resolve();
  }

  async function loadInvoices(): Promise<void> {
    invoicesStatus.value = 'loading';
    invoicesError.value = null;
    try {
      invoices.value = await billingApi.invoices();
      invoicesStatus.value = 'ready';
    } catch (failure) {
      invoicesError.value = errorMessage(failure);
      invoicesStatus.value = 'error';
    }
  }

  /** A run's answer carries the new counter: the meter moves without another request. */
  function applyUsage(update: UsageUpdate): void {
    // A read under way may have begun before this run was counted: it is dropped, and read again.
    if (loading) {
      supersedeReads();
      void load();
    }
    if (!overview.value) return;
    overview.value = {
      ...overview.value,
      usage: {
        ...overview.value.usage,
        used: update.used,
        limit: update.limit,
        // The run's `remaining` counts packs and grants too; the overview's is the plan's allowance.
        remaining: Math.max(0, update.limit - update.used),
        resetsAt: new Date(update.resetsAt),
      },
    };
  }

  /**
   * Re-reads the overview until `isDone` holds (a webhook has applied the new plan) or the attempts
   * run out: bounded, so a lost webhook never leaves a spinner forever. Errors in between are retried.
   */
  async function pollUntil(
    isDone: (next: SubscriptionOverview) => boolean,
    { attempts = 20, intervalMs = 1500, signal }: PollOptions = {},
  ): Promise<boolean> {
    for (let attempt = 0; attempt < attempts && !signal?.aborted; attempt += 1) {
      try {
        const next = await billingApi.subscription();
        supersedeReads();
        overview.value = next;
        status.value = 'ready';
        if (isDone(next)) return true;
      } catch {
        // A blip while waiting: the next attempt tries again.
      }
      if (attempt < attempts - 1) await sleep(intervalMs, signal);
    }
    return false;
  }

  async function runAction(name: NonNullable<typeof pendingAction.value>, action: () => Promise<void>) {
    if (pendingAction.value) return;
    pendingAction.value = name;
    actionError.value = null;
    try {
      await action();
    } catch (failure) {
      actionError.value = errorMessage(failure);
      if (isEmailNotVerified(failure)) {
        // Not verified after all (auth.me said otherwise, or was not asked yet): say how to fix it,
        // and let the banner show.
        const auth = useAuthStore();
        auth.noteEmailUnverified();
        actionError.value = verifyFirstMessage(auth.user?.email);
      }
      pendingAction.value = null;
      return;
    }
    // After a redirect the page is going away: keep the buttons busy until it does.
    if (name === 'trial') pendingAction.value = null;
  }

  function activateTrial(): Promise<void> {
    return runAction('trial', async () => {
      await billingApi.activateTrial();
      supersedeReads();
      await load();
    });
  }

  function startCheckout(plan: CheckoutPlanId): Promise<void> {
    return runAction(plan, async () => leaveAppTo(await billingApi.checkoutUrl(plan)));
  }

  /** One-time Checkout for a run pack; the webhook credits it, the return page waits for that. */
  function buyPack(packId: RunPackId): Promise<void> {
    return runAction(packId, async () => {
      const url = await billingApi.packCheckoutUrl(packId);
      // The return page compares against this to tell the new pack from the ones before.
      rememberPacksBeforeCheckout(useCreditsStore().balance);
      leaveAppTo(url);
    });
  }

  function openPortal(): Promise<void> {
    return runAction('portal', async () => {
      const url = await billingApi.portalUrl();
      // The return page compares against this to see at once whether the portal's change has landed.
      rememberBeforePortal(overview.value);
      leaveAppTo(url);
    });
  }

  function openUpgrade(packs: PackOffer[] = []): void {
    actionError.value = null;
    upgradePacks.value = packs;
    isUpgradeOpen.value = true;
  }

  function closeUpgrade(): void {
    isUpgradeOpen.value = false;
  }

  return {
    overview,
    status,
    error,
    invoices,
    invoicesStatus,
    invoicesError,
    pendingAction,
    actionError,
    isBusy,
    isUpgradeOpen,
    upgradePacks,
    load,
    ensureLoaded,
    loadInvoices,
    applyUsage,
    pollUntil,
    activateTrial,
    startCheckout,
    buyPack,
    openPortal,
    openUpgrade,
    closeUpgrade,
  };
});
