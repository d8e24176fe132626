import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import { createLatestOnly } from '../../lib/latest-only';
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
  /**
   * A read begun before newer state arrived (a poll's or a run's answer) may answer the older balance:
   * it writes nothing.
   */
  const reads = createLatestOnly();

  /** Callers at the same moment (the header and the settings page) share one request. */
  function load(): Promise<void> {
    loading ??= (async () => {
      const read = reads.begin();
      status.value = 'loading';
      error.value = null;
      try {
        const next = await creditsApi.balance();
        if (!reads.isLatest(read)) return;
        balance.value = next;
        status.value = 'ready';
      } catch (failure) {
        if (!reads.isLatest(read)) return;
        error.value = errorMessage(failure);
        status.value = 'error';
      } finally {
        // Otherwise `loading` is a newer read's, or was dropped by newer state since.
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

  function ensureLoaded(): Promise<void> {
    return status.value === 'idle' ? load() : (loading ?? Promise.resolve());
  }

  /**
   * A run's answer says what packs and grants hold now (`credits`): the header's total follows without
   * another request. The per-grant rows are re-read when the settings page opens.
   */
  function applyRunCredits(credits: number | undefined): void {
    if (credits === undefined) return;
    // A read under way may have begun before this run drew on the packs: it is dropped, and read again.
    if (loading) {
      supersedeReads();
      void load();
    }
    const current = balance.value;
    if (!current || credits === current.creditsRemaining) return;
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
        supersedeReads();
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
