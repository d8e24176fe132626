import { isOverageBillable, type PlanId } from '@tollgate/domain';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import { createLatestOnly } from '../../lib/latest-only';
import type { LoadStatus, UsageUpdate } from '../billing/billing.store';
import { createSpendApi, type SpendOverview, type SpendSettingsChange } from './spend.api';

/** The parts of the spend settings saved on their own, each with its own pending state and error. */
export type SpendSection = 'overage' | 'cap' | 'autoTopUp';

/**
 * Overage past the plan, the spend caps and auto top-up of the active account: the settings card edits
 * them, the header shows the overage being billed. One store, so a change in settings reaches the header.
 */
export const useSpendStore = defineStore('spend', () => {
  const spendApi = createSpendApi(useApi());

  const overview = ref<SpendOverview | null>(null);
  const status = ref<LoadStatus>('idle');
  const error = ref<string | null>(null);
  /** One save at a time: the server answers the whole overview, the last answer wins. */
  const saving = ref<SpendSection | null>(null);
  const saveErrors = ref<Partial<Record<SpendSection, string>>>({});
  /** The section whose last save the server took ("Saved." next to it), until the next save. */
  const lastSaved = ref<SpendSection | null>(null);

  /** Overage is on and the plan bills it: runs past the plan and credits go on. */
  const isOverageOn = computed(
    () => (overview.value?.overage.enabled ?? false) && (overview.value?.overage.isAvailable ?? false),
  );
  /**
   * Overage runs still allowed this period: null when overage is off, Infinity with no cap. The header
   * counts them like pack runs (nothing is about to stop while there are some).
   */
  const overageHeadroom = computed<number | null>(() => {
    const current = overview.value;
    if (!current || !isOverageOn.value) return null;
    if (!current.effectiveCap) return Number.POSITIVE_INFINITY;
    return Math.max(0, current.effectiveCap.runs - current.overageRuns);
  });

  let loading: Promise<void> | null = null;
  /** A read begun before a save the server took may answer the old settings: it writes nothing. */
  const reads = createLatestOnly();

  /** Callers at the same moment (the header and the settings page) share one request. */
  function load(): Promise<void> {
    loading ??= (async () => {
      const read = reads.begin();
      status.value = 'loading';
      error.value = null;
      try {
        const next = await spendApi.settings();
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

  /** After a save the server took: the next load asks afresh instead of joining a read from before it. */
  function supersedeReads(): void {
    reads.supersede();
    loading = null;
  }

  /**
   * The header's first load, for plans that can bill overage only: for any other plan overage can't be
   * on, so there is nothing to show and no request to make.
   */
  function ensureLoadedFor(plan: PlanId): Promise<void> {
    if (!isOverageBillable(plan)) return Promise.resolve();
    return status.value === 'idle' ? load() : (loading ?? Promise.resolve());
  }

  /** True when saved; the server's answer replaces the overview, a refusal is kept for `section`. */
  async function save(section: SpendSection, change: SpendSettingsChange): Promise<boolean> {
    if (saving.value) return false;
    saving.value = section;
    lastSaved.value = null;
    saveErrors.value = { ...saveErrors.value, [section]: undefined };
    try {
      const saved = await spendApi.update(change);
      supersedeReads();
      overview.value = saved;
      status.value = 'ready';
      lastSaved.value = section;
      return true;
    } catch (failure) {
      saveErrors.value = { ...saveErrors.value, [section]: errorMessage(failure) };
      return false;
    } finally {
      saving.value = null;
    }
  }

  /**
   * A run's answer says nothing of overage, but when it leaves nothing in the plan or credits while
   * overage is on, the run may have been billed as overage: read the spend again (the header's count).
   */
  function noteRun(usage: UsageUpdate): void {
    if (!isOverageOn.value) return;
    const planLeft = Math.max(0, usage.limit - usage.used);
    if (planLeft + (usage.credits ?? 0) === 0) void load();
  }

  return {
    overview,
    status,
    error,
    saving,
    saveErrors,
    lastSaved,
    isOverageOn,
    overageHeadroom,
    load,
    ensureLoadedFor,
    save,
    noteRun,
  };
});
