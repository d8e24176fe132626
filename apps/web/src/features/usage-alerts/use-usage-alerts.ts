import { ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import type { LoadStatus } from '../billing/billing.store';
import { createUsageAlertsApi, type UsageAlertSettings } from './usage-alerts.api';

/** The active account's usage alert settings, for the settings page only (page-local state). */
export function useUsageAlerts() {
  const usageAlertsApi = createUsageAlertsApi(useApi());
  const settings = ref<UsageAlertSettings | null>(null);
  const status = ref<LoadStatus>('idle');
  const error = ref<string | null>(null);
  const isSaving = ref(false);
  const saveError = ref<string | null>(null);

  async function load(): Promise<void> {
    status.value = 'loading';
    error.value = null;
    try {
      settings.value = await usageAlertsApi.get();
      status.value = 'ready';
    } catch (failure) {
      error.value = errorMessage(failure);
      status.value = 'error';
    }
  }

  /** True when saved; the server's answer (what it stored) replaces the settings. */
  async function save(next: UsageAlertSettings): Promise<boolean> {
    if (isSaving.value) return false;
    isSaving.value = true;
    saveError.value = null;
    try {
      settings.value = await usageAlertsApi.set(next);
      return true;
    } catch (failure) {
      saveError.value = errorMessage(failure);
      return false;
    } finally {
      isSaving.value = false;
    }
  }

  return { settings, status, error, isSaving, saveError, load, save };
}
