import { afterEach, describe, expect, it } from 'vitest';
import { meFixture, overviewFixture } from '../test/fixtures';
import { mountWithApp } from '../test/mount-with-app';
import AppHeader from './app-header.vue';

function mountHeader(platformRole: 'operator' | 'support' | null) {
  return mountWithApp(AppHeader, {
    handlers: {
      'auth.me': () => meFixture({ platformRole }),
      'billing.subscription': () => overviewFixture('FREE'),
      'notifications.list': () => ({ items: [], unreadCount: 0, nextCursor: null }),
    },
  });
}

const navLinks = (wrapper: Awaited<ReturnType<typeof mountHeader>>['wrapper']) =>
  wrapper.findAll('nav a').map((link) => link.text());

describe('AppHeader', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('offers the API keys page to platform operators', async () => {
    const { wrapper } = await mountHeader('operator');
    expect(navLinks(wrapper)).toEqual(['Sessions', 'Subscription', 'Notifications', 'API keys', 'Console']);
    expect(wrapper.find('nav a[href="/operator/api-keys"]').exists()).toBe(true);
  });

  it('offers the console, not the API keys, to support', async () => {
    const { wrapper } = await mountHeader('support');
    expect(navLinks(wrapper)).toEqual(['Sessions', 'Subscription', 'Notifications', 'Console']);
    expect(wrapper.find('nav a[href="/console"]').exists()).toBe(true);
  });

  it('shows no operator link to anyone else', async () => {
    const { wrapper } = await mountHeader(null);
    expect(navLinks(wrapper)).toEqual(['Sessions', 'Subscription', 'Notifications']);
  });

  it('links the notification settings next to the subscription settings, and has the bell', async () => {
    const { wrapper } = await mountHeader(null);
    expect(wrapper.find('nav a[href="/settings/notifications"]').exists()).toBe(true);
    expect(wrapper.get('[data-testid="notification-bell-button"]').attributes('aria-label')).toBe(
      'Notifications, 0 unread',
    );
  });
});
