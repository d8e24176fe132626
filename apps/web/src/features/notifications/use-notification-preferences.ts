import { ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import type { LoadStatus } from '../billing/billing.store';
import {
  createNotificationsApi,
  type ChannelPreference,
  type NotificationPreferences,
} from './notifications.api';

export type PreferenceTopic = keyof NotificationPreferences;
export type PreferenceChannel = keyof ChannelPreference;

/**
 * The user's notification preferences for the settings page (page-local). A toggle saves at once and
 * shows at once; a refused save puts the switch back and says why.
 */
export function useNotificationPreferences() {
  const notificationsApi = createNotificationsApi(useApi());
  const preferences = ref<NotificationPreferences | null>(null);
  const status = ref<LoadStatus>('idle');
  const error = ref<string | null>(null);
  const saveError = ref<string | null>(null);
  /** "usageAlerts.email" while that switch's change is on its way. */
  const saving = ref<string | null>(null);

  async function load(): Promise<void> {
    status.value = 'loading';
    error.value = null;
    try {
      preferences.value = await notificationsApi.preferences();
      status.value = 'ready';
    } catch (failure) {
      error.value = errorMessage(failure);
      status.value = 'error';
    }
  }

  async function set(topic: PreferenceTopic, channel: PreferenceChannel, value: boolean): Promise<void> {
    const before = preferences.value;
    if (!before) return;
    const channels = { ...before[topic], [channel]: value };
    preferences.value = { ...before, [topic]: channels };
    saving.value = `${topic}.${channel}`;
    saveError.value = null;
    try {
      preferences.value = await notificationsApi.setPreferences({ [topic]: channels });
    } catch (failure) {
      preferences.value = before;
      saveError.value = errorMessage(failure);
    } finally {
      saving.value = null;
    }
  }

  return { preferences, status, error, saveError, saving, load, set };
}
