import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { TEAM_ID, accountFixture, teamFixture } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import NotificationSettingsView from './notification-settings-view.vue';

const PREFERENCES = {
  usageAlerts: { email: true, inApp: true },
  reminders: { email: true, inApp: false },
};

function mountSettings(options: { role?: 'owner' | 'member' } = {}) {
  const isTeam = options.role !== undefined;
  return mountWithApp(NotificationSettingsView, {
    path: '/settings/notifications',
    sessionStorage: isTeam ? { 'tollgate.activeAccount.u1': TEAM_ID } : {},
    handlers: {
      'accounts.list': () => [accountFixture(), teamFixture({ role: options.role ?? 'owner' })],
      'notifications.preferences': () => PREFERENCES,
      'notifications.setPreferences': (input) => ({ ...PREFERENCES, ...(input as object) }),
      'usage.alertSettings': () => ({ percents: [80], runsRemaining: null }),
      'usage.setAlertSettings': (input) => input,
    },
  });
}

const checkbox = (wrapper: Awaited<ReturnType<typeof mountSettings>>['wrapper'], id: string) =>
  wrapper.get(`[data-testid="${id}"]`).element as HTMLInputElement;

describe('Settings › Notifications', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows each switch as stored, and says which emails are always sent', async () => {
    const { wrapper } = await mountSettings();
    expect(checkbox(wrapper, 'usageAlerts-email').checked).toBe(true);
    expect(checkbox(wrapper, 'reminders-inApp').checked).toBe(false);
    expect(wrapper.text()).toContain('Receipts, payment and security emails');
    expect(wrapper.text()).toContain('always sent');
  });

  it('a switch saves at once, the whole topic with it', async () => {
    const { wrapper, fake } = await mountSettings();
    await wrapper.get('[data-testid="reminders-inApp"]').setValue(true);
    await flushPromises();
    expect(fake.callsTo('notifications.setPreferences').map((call) => call.input)).toEqual([
      { reminders: { email: true, inApp: true } },
    ]);
    expect(checkbox(wrapper, 'reminders-inApp').checked).toBe(true);
  });

  it('a refused save puts the switch back and says why', async () => {
    const { wrapper, fake } = await mountSettings();
    fake.handlers['notifications.setPreferences'] = () => {
      throw new FakeTrpcError('INTERNAL_SERVER_ERROR', 503, 'down');
    };
    await wrapper.get('[data-testid="usageAlerts-email"]').setValue(false);
    await flushPromises();
    expect(checkbox(wrapper, 'usageAlerts-email').checked).toBe(true);
    expect(wrapper.get('[role="alert"]').text()).toContain('Something went wrong on our side');
  });

  it("owners get the account's usage alerts form", async () => {
    const { wrapper } = await mountSettings({ role: 'owner' });
    expect(wrapper.text()).toContain('Usage alerts · Acme');
    expect(wrapper.find('[data-testid="usage-alerts"] form').exists()).toBe(true);
  });

  it('plain members see the usage alerts without a form', async () => {
    const { wrapper } = await mountSettings({ role: 'member' });
    expect(wrapper.find('[data-testid="usage-alerts"] form').exists()).toBe(false);
    expect(wrapper.get('[data-testid="usage-alerts-summary"]').text()).toBe(
      "Alerts at 80% of the period's runs.",
    );
  });
});
