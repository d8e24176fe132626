import { getActivePinia } from 'pinia';
import { useNotificationsStore } from '../features/notifications/notifications.store';

/** After a test that mounted the bell: its store's 30-second polling must not outlive the test. */
export function stopNotificationPolling(): void {
  const pinia = getActivePinia();
  if (pinia?.state.value.notifications) useNotificationsStore(pinia).$dispose();
}
