import { afterEach, describe, expect, it } from 'vitest';
import { ISO } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import ConsoleLayout from './console-layout.vue';

const me = (platformRole: 'operator' | 'support' | null) => () => ({
  id: 'u1',
  email: 'ada@example.com',
  createdAt: ISO(-30),
  platformRole,
  emailVerified: true,
});

describe('Console › layout', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('tells a user without a platform role that the console is for operators only', async () => {
    const { wrapper, fake } = await mountWithApp(ConsoleLayout, { handlers: { 'auth.me': me(null) } });
    expect(wrapper.get('[data-testid="operators-only"]').text()).toContain('Operators only');
    expect(fake.calls.map((call) => call.path)).toEqual(['auth.me']);
  });

  it.each(['operator', 'support'] as const)('lets %s in, with the console navigation', async (role) => {
    const { wrapper } = await mountWithApp(ConsoleLayout, { handlers: { 'auth.me': me(role) } });
    expect(wrapper.find('[data-testid="operators-only"]').exists()).toBe(false);
    const links = wrapper.get('nav[aria-label="Console"]').findAll('a');
    expect(links.map((link) => link.text())).toEqual(['Dashboard', 'Customers', 'Audit log']);
  });
});
