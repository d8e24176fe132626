import { afterEach, describe, expect, it } from 'vitest';
import { ISO, overviewFixture } from '../test/fixtures';
import { mountWithApp } from '../test/mount-with-app';
import AppHeader from './app-header.vue';

function mountHeader(platformRole: 'operator' | null) {
  return mountWithApp(AppHeader, {
    handlers: {
      'auth.me': () => ({ id: 'u1', email: 'ada@example.com', createdAt: ISO(-30), platformRole }),
      'billing.subscription': () => overviewFixture('FREE'),
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
    expect(navLinks(wrapper)).toEqual(['Sessions', 'Subscription', 'API keys']);
    expect(wrapper.find('nav a[href="/operator/api-keys"]').exists()).toBe(true);
  });

  it('shows no operator link to anyone else', async () => {
    const { wrapper } = await mountHeader(null);
    expect(navLinks(wrapper)).toEqual(['Sessions', 'Subscription']);
  });
});
