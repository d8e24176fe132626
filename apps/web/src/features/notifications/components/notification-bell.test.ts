import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { notificationFixture } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import NotificationBell from './notification-bell.vue';
import { stopNotificationPolling } from '../../../test/stop-polling';

type Item = ReturnType<typeof notificationFixture>;

/** A server that keeps read state, like the real one: unreadCount follows markRead / markAllRead. */
function mountBell(items: Item[]) {
  const stored = items.map((item) => ({ ...item }));
  const unread = () => stored.filter((item) => item.readAt === null).length;
  return mountWithApp(NotificationBell, {
    handlers: {
      'notifications.list': () => ({ items: stored, unreadCount: unread(), nextCursor: null }),
      'notifications.markRead': (input) => {
        const { ids } = input as { ids: string[] };
        for (const item of stored) if (ids.includes(item.id)) item.readAt = new Date().toISOString();
        return { unreadCount: unread() };
      },
      'notifications.markAllRead': () => {
        for (const item of stored) item.readAt ??= new Date().toISOString();
        return { unreadCount: 0 };
      },
    },
  });
}

async function openPanel(wrapper: Awaited<ReturnType<typeof mountBell>>['wrapper']) {
  await wrapper.get('[data-testid="notification-bell-button"]').trigger('click');
  await flushPromises();
}

const itemButton = (wrapper: Awaited<ReturnType<typeof mountBell>>['wrapper'], index: number) =>
  wrapper.get(`[data-id="${notificationFixture(index).id}"]`);

describe('NotificationBell', () => {
  afterEach(() => {
    stopNotificationPolling();
    document.body.innerHTML = '';
  });

  it('shows the unread count on the button, in its accessible name too', async () => {
    const { wrapper } = await mountBell([
      notificationFixture(1),
      notificationFixture(2),
      notificationFixture(3, { readAt: new Date().toISOString() }),
    ]);
    const button = wrapper.get('[data-testid="notification-bell-button"]');
    expect(button.attributes('aria-label')).toBe('Notifications, 2 unread');
    expect(button.attributes('aria-expanded')).toBe('false');
    expect(wrapper.get('[data-testid="notification-count"]').text()).toBe('2');
  });

  it('no unread notifications: no badge, and the panel says there is nothing yet', async () => {
    const { wrapper } = await mountBell([]);
    expect(wrapper.find('[data-testid="notification-count"]').exists()).toBe(false);
    await openPanel(wrapper);
    expect(wrapper.get('[data-testid="notifications-empty"]').text()).toBe('No notifications yet.');
  });

  it('lists title, body and a relative time, unread ones marked as such', async () => {
    const { wrapper } = await mountBell([
      notificationFixture(5, { title: 'You have used 80% of your runs', body: '8 of 10 runs used.' }),
      notificationFixture(6, { readAt: new Date().toISOString() }),
    ]);
    await openPanel(wrapper);
    expect(wrapper.get('[data-testid="notification-bell-button"]').attributes('aria-expanded')).toBe('true');
    const first = itemButton(wrapper, 5);
    expect(first.text()).toContain('Unread: You have used 80% of your runs');
    expect(first.text()).toContain('8 of 10 runs used.');
    expect(first.get('time').text()).toBe('5 min. ago');
    expect(first.attributes('data-unread')).toBe('true');
    expect(itemButton(wrapper, 6).attributes('data-unread')).toBe('false');
  });

  it('opening an item marks it read and follows its in-app link', async () => {
    const { wrapper, fake, router } = await mountBell([
      notificationFixture(1, { link: '/settings/subscription' }),
      notificationFixture(2),
    ]);
    await openPanel(wrapper);
    await itemButton(wrapper, 1).trigger('click');
    await flushPromises();

    expect(fake.callsTo('notifications.markRead').map((call) => call.input)).toEqual([
      { ids: [notificationFixture(1).id] },
    ]);
    expect(router.currentRoute.value.fullPath).toBe('/settings/subscription');
    expect(wrapper.get('[data-testid="notification-bell-button"]').attributes('aria-label')).toBe(
      'Notifications, 1 unread',
    );
    expect(wrapper.get('[data-testid="notification-panel"]').isVisible()).toBe(false);
  });

  it.each([
    'https://evil.example/phish',
    '//evil.example/phish',
    '/\\evil.example',
    'javascript:alert(1)',
    '/\t/evil.example',
  ])('never follows a link that leaves the app (%s), but still marks the item read', async (link) => {
    const { wrapper, fake, router } = await mountBell([notificationFixture(1, { link })]);
    const assign = window.location.href;
    await openPanel(wrapper);
    await itemButton(wrapper, 1).trigger('click');
    await flushPromises();

    expect(fake.callsTo('notifications.markRead')).toHaveLength(1);
    expect(router.currentRoute.value.fullPath).toBe('/sessions');
    expect(window.location.href).toBe(assign);
  });

  it('"Mark all as read" clears the count', async () => {
    const { wrapper, fake } = await mountBell([notificationFixture(1), notificationFixture(2)]);
    await openPanel(wrapper);
    await wrapper
      .findAll('button')
      .find((button) => button.text() === 'Mark all as read')
      ?.trigger('click');
    await flushPromises();

    expect(fake.callsTo('notifications.markAllRead')).toHaveLength(1);
    expect(wrapper.get('[data-testid="notification-bell-button"]').attributes('aria-label')).toBe(
      'Notifications, 0 unread',
    );
    expect(wrapper.findAll('[data-unread="true"]')).toHaveLength(0);
    expect(wrapper.text()).not.toContain('Mark all as read');
  });

  it('a refused mark-as-read says so and shows the server count again', async () => {
    const { wrapper, fake } = await mountBell([notificationFixture(1)]);
    fake.handlers['notifications.markRead'] = () => {
      throw new FakeTrpcError('FORBIDDEN', 403, 'Not yours');
    };
    await openPanel(wrapper);
    await itemButton(wrapper, 1).trigger('click');
    await flushPromises();

    expect(wrapper.get('[role="alert"]').text()).toBe('Not yours');
    expect(wrapper.get('[data-testid="notification-bell-button"]').attributes('aria-label')).toBe(
      'Notifications, 1 unread',
    );
  });

  it('Escape closes the panel and gives focus back to the bell', async () => {
    const { wrapper } = await mountBell([notificationFixture(1)]);
    await openPanel(wrapper);
    await wrapper.get('[data-testid="notification-panel"]').trigger('keydown', { key: 'Escape' });
    expect(wrapper.get('[data-testid="notification-panel"]').isVisible()).toBe(false);
    expect(document.activeElement).toBe(wrapper.get('[data-testid="notification-bell-button"]').element);
  });
});
