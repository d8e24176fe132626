import { defineStore } from 'pinia';
import { computed, onScopeDispose, ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import type { LoadStatus } from '../billing/billing.store';
import { createNotificationsApi, type NotificationItem, type NotificationPage } from './notifications.api';

/** How often the bell asks for news while the tab is visible (a hidden tab asks on its return). */
export const POLL_INTERVAL_MS = 30_000;
export const PAGE_SIZE = 20;

/**
 * The signed-in user's notifications for the header's bell. Polls while started (the bell starts it);
 * app-root disposes the store on sign-out, which stops the polling with it.
 */
export const useNotificationsStore = defineStore('notifications', () => {
  const notificationsApi = createNotificationsApi(useApi());

  const items = ref<NotificationItem[]>([]);
  const unreadCount = ref(0);
  const nextCursor = ref<string | null>(null);
  const status = ref<LoadStatus>('idle');
  const error = ref<string | null>(null);
  const isLoadingMore = ref(false);
  const actionError = ref<string | null>(null);
  const hasUnread = computed(() => unreadCount.value > 0);

  /** Older pages the user loaded: a refresh puts news on top of them instead of dropping them. */
  let hasOlderPages = false;
  let refreshing: Promise<void> | null = null;

  function applyFirstPage(page: NotificationPage): void {
    unreadCount.value = page.unreadCount;
    if (!hasOlderPages) {
      items.value = page.items;
      nextCursor.value = page.nextCursor;
      return;
    }
    const fresh = new Set(page.items.map((item) => item.id));
    items.value = [...page.items, ...items.value.filter((item) => !fresh.has(item.id))];
  }

  /** Callers at the same moment (the timer, focus, opening the panel) share one request. */
  function refresh(): Promise<void> {
    refreshing ??= (async () => {
      if (status.value === 'idle') status.value = 'loading';
      try {
        applyFirstPage(await notificationsApi.list({ limit: PAGE_SIZE }));
        status.value = 'ready';
        error.value = null;
      } catch (failure) {
        // What was shown stays: a blip while polling is not worth blanking the list.
        error.value = errorMessage(failure);
        if (status.value !== 'ready') status.value = 'error';
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value || isLoadingMore.value) return;
    isLoadingMore.value = true;
    try {
      const page = await notificationsApi.list({ limit: PAGE_SIZE, before: nextCursor.value });
      const known = new Set(items.value.map((item) => item.id));
      items.value = [...items.value, ...page.items.filter((item) => !known.has(item.id))];
      nextCursor.value = page.nextCursor;
      unreadCount.value = page.unreadCount;
      hasOlderPages = true;
    } catch (failure) {
      actionError.value = errorMessage(failure);
    } finally {
      isLoadingMore.value = false;
    }
  }

  /** Marked at once on screen; the server's count wins when it answers, a refusal reloads the list. */
  async function markRead(ids: string[]): Promise<void> {
    const unread = new Set(
      items.value.filter((item) => ids.includes(item.id) && !item.readAt).map((i) => i.id),
    );
    if (unread.size === 0) return;
    const now = new Date().toISOString();
    items.value = items.value.map((item) => (unread.has(item.id) ? { ...item, readAt: now } : item));
    unreadCount.value = Math.max(0, unreadCount.value - unread.size);
    actionError.value = null;
    try {
      unreadCount.value = (await notificationsApi.markRead([...unread])).unreadCount;
    } catch (failure) {
      actionError.value = errorMessage(failure);
      await refresh();
    }
  }

  async function markAllRead(): Promise<void> {
    const now = new Date().toISOString();
    items.value = items.value.map((item) => (item.readAt ? item : { ...item, readAt: now }));
    unreadCount.value = 0;
    actionError.value = null;
    try {
      unreadCount.value = (await notificationsApi.markAllRead()).unreadCount;
    } catch (failure) {
      actionError.value = errorMessage(failure);
      await refresh();
    }
  }

  // Polling: every 30 s while the tab is visible, and at once when the user comes back to it.
  let timer: ReturnType<typeof setInterval> | null = null;
  const isVisible = () => document.visibilityState !== 'hidden';
  const onFocus = () => void refresh();
  const onVisibilityChange = () => {
    if (isVisible()) void refresh();
  };

  function start(): void {
    if (timer) return;
    void refresh();
    timer = setInterval(() => {
      if (isVisible()) void refresh();
    }, POLL_INTERVAL_MS);
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onVisibilityChange);
  }

  function stop(): void {
    if (timer) clearInterval(timer);
    timer = null;
    window.removeEventListener('focus', onFocus);
    document.removeEventListener('visibilitychange', onVisibilityChange);
  }

  // $dispose() (sign-out) ends the store's scope: no request for a user who is gone.
  onScopeDispose(stop);

  return {
    items,
    unreadCount,
    nextCursor,
    status,
    error,
    actionError,
    isLoadingMore,
    hasUnread,
    refresh,
    loadMore,
    markRead,
    markAllRead,
    start,
    stop,
  };
});
