import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import { sleep } from '../../lib/navigation';
import type { LoadStatus, PollOptions } from '../billing/billing.store';
import { createCreditsApi, type CreditBalance } from './credits.api';

/** The account's balance (allowance, packs and grants): the header's total and the settings breakdown. */
export const useCreditsStore = defineStore('credits', () => {
  const creditsApi = createCreditsApi(useApi());

  const balance = ref<CreditBalance | null>(null);
  const status = ref<LoadStatus>('idle');
  const error = ref<string | null>(null);

  /** Units left in spendable packs and grants; 0 until the balance is known (the header then shows the plan only). */
  const creditsRemaining = computed(() => balance.value?.creditsRemaining ?? 0);

  let loading: Promise<void> | null = null;

  /** Callers at the same moment (the header and the settings page) share one request. */
  function load(): Promise<void> {
    loading ??= (async () => {
      status.value = 'loading';
      error.value = null;
      try {
        balance.value = await creditsApi.balance();
        status.value = 'ready';
      } catch (failure) {
        error.value = errorMessage(failure);
        status.value = 'error';
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  function ensureLoaded(): Promise<void> {
    return status.value === 'idle' ? load() : (loading ?? Promise.resolve());
  }

  /**
   * A run's answer says what packs and grants hold now (`credits`): the header's total follows without
   * another request. The per-grant rows are re-read when the settings page opens.
   */
  function applyRunCredits(credits: number | undefined): void {
    const current = balance.value;
    if (!current || credits === undefined || credits === current.creditsRemaining) return;
    const delta = credits - current.creditsRemaining;
    balance.value = {
      ...current,
      creditsRemaining: credits,
      totalRemaining: Math.max(0, current.totalRemaining + delta),
    };
  }

  /** Re-reads the balance until `isDone` holds (a pack's webhook has credited it) or attempts run out. */
  async function pollUntil(
    isDone: (next: CreditBalance) => boolean,
    { attempts = 20, intervalMs = 1500, signal }: PollOptions = {},
  ): Promise<boolean> {
    for (let attempt = 0; attempt < attempts && !signal?.aborted; attempt += 1) {
      try {
        const next = await creditsApi.balance();
        balance.value = next;
        status.value = 'ready';
        error.value = null;
        if (isDone(next)) return true;
      } catch {
        // A blip while waiting: the next attempt tries again.
      }
      if (attempt < attempts - 1) await sleep(intervalMs, signal);
    }
    return false;
  }

  return { balance, status, error, creditsRemaining, load, ensureLoaded, applyRunCredits, pollUntil };
});
