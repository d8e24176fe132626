import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent } from 'vue';
import { mountWithApp } from '../../test/mount-with-app';
import { POLL_INTERVAL_MS, useNotificationsStore } from './notifications.store';
import { stopNotificationPolling } from '../../test/stop-polling';

const Host = defineComponent({ render: () => null });

function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  document.dispatchEvent(new Event('visibilitychange'));
}

async function started() {
  const mounted = await mountWithApp(Host, {
    handlers: { 'notifications.list': () => ({ items: [], unreadCount: 3, nextCursor: null }) },
  });
  const store = useNotificationsStore(mounted.pinia);
  store.start();
  await vi.advanceTimersByTimeAsync(0);
  const lists = () => mounted.fake.callsTo('notifications.list').length;
  return { ...mounted, store, lists };
}

describe('notifications store: polling', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    setVisibility('visible');
  });

  afterEach(() => {
    stopNotificationPolling();
    vi.useRealTimers();
    setVisibility('visible');
    document.body.innerHTML = '';
  });

  it('asks at once, then every 30 s while the tab is visible', async () => {
    const { store, lists } = await started();
    expect(lists()).toBe(1);
    expect(store.unreadCount).toBe(3);

    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(lists()).toBe(2);
    store.start(); // the header remounts on an account switch: still one timer
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    expect(lists()).toBe(3);
  });

  it('skips the timer while hidden and asks as soon as the tab is back or focused', async () => {
    const { lists } = await started();
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 3);
    expect(lists()).toBe(1);

    setVisibility('visible');
    await vi.advanceTimersByTimeAsync(0);
    expect(lists()).toBe(2);

    window.dispatchEvent(new Event('focus'));
    await vi.advanceTimersByTimeAsync(0);
    expect(lists()).toBe(3);
  });

  it('stops for good when the store is disposed (sign-out)', async () => {
    const { store, lists } = await started();
    store.$dispose();
    await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 2);
    window.dispatchEvent(new Event('focus'));
    await vi.advanceTimersByTimeAsync(0);
    expect(lists()).toBe(1);
  });
});
