import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { meFixture, overviewFixture } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { useAuthStore } from '../../auth/auth.store';
import UpgradeModalHost from '../components/upgrade-modal-host.vue';
import { useBillingStore } from '../billing.store';
import SubscriptionSettingsView from './subscription-settings-view.vue';

const notVerified = () =>
  new FakeTrpcError('FORBIDDEN', 403, 'Verify your email address first', { appCode: 'EMAIL_NOT_VERIFIED' });

function mountSettings(emailVerified: boolean | null) {
  return mountWithApp(SubscriptionSettingsView, {
    path: '/settings/subscription',
    handlers: {
      'auth.me': () => meFixture({ emailVerified: emailVerified ?? true }),
      'billing.subscription': () => overviewFixture('FREE'),
      'billing.invoices': () => [],
      'billing.activateTrial': () => {
        throw notVerified();
      },
    },
  });
}

const button = (wrapper: Awaited<ReturnType<typeof mountSettings>>['wrapper'], label: string) =>
  wrapper.findAll('button').find((candidate) => candidate.text() === label);

describe('Settings › Subscription, email not verified', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('unverified: the trial and upgrade buttons wait, with the reason next to them', async () => {
    const { wrapper, pinia } = await mountSettings(false);
    await useAuthStore(pinia).ensureMe();
    await flushPromises();

    expect(button(wrapper, 'Start 14-day trial')?.attributes('disabled')).toBeDefined();
    expect(button(wrapper, 'Upgrade')?.attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="verify-first"]').text()).toContain(
      'Verify your email address first: open the link we sent to ada@example.com',
    );
  });

  it('verified: the buttons are there to use, no note', async () => {
    const { wrapper, pinia } = await mountSettings(true);
    await useAuthStore(pinia).ensureMe();
    await flushPromises();
    expect(button(wrapper, 'Start 14-day trial')?.attributes('disabled')).toBeUndefined();
    expect(button(wrapper, 'Upgrade')?.attributes('disabled')).toBeUndefined();
    expect(wrapper.find('[data-testid="verify-first"]').exists()).toBe(false);
  });

  it('refused with EMAIL_NOT_VERIFIED (auth.me not known yet): says how to fix it, inline', async () => {
    const { wrapper, pinia } = await mountSettings(null);
    await button(wrapper, 'Start 14-day trial')?.trigger('click');
    await flushPromises();

    expect(wrapper.get('[role="alert"]').text()).toContain('Verify your email address first');
    expect(wrapper.get('[role="alert"]').text()).toContain('ada@example.com');
    expect(useAuthStore(pinia).isEmailUnverified).toBe(true);
  });
});

describe('Upgrade modal, email not verified', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows the plans with their buttons disabled and the reason', async () => {
    const { wrapper, pinia, fake } = await mountWithApp(UpgradeModalHost, {
      handlers: {
        'auth.me': () => meFixture({ emailVerified: false }),
        'accounts.list': () => [],
      },
    });
    await useAuthStore(pinia).ensureMe();
    useBillingStore(pinia).openUpgrade();
    await flushPromises();

    expect(wrapper.get('[data-plan="PRO"] button').attributes('disabled')).toBeDefined();
    expect(wrapper.find('[data-testid="verify-first"]').exists()).toBe(true);
    await wrapper.get('[data-plan="PRO"] button').trigger('click');
    expect(fake.callsTo('billing.createCheckoutSession')).toHaveLength(0);
  });
});
