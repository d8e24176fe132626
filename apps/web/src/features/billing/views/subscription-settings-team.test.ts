import type { AccountRole } from '@tollgate/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TEAM_ID,
  accountFixture,
  balanceFixture,
  overviewFixture,
  spendFixture,
  teamFixture,
  withUsage,
} from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { useAccountsStore } from '../../accounts/accounts.store';
import UpgradeModalHost from '../components/upgrade-modal-host.vue';
import UsageIndicator from '../components/usage-indicator.vue';
import { useBillingStore } from '../billing.store';
import SubscriptionSettingsView from './subscription-settings-view.vue';

/** The settings page with a team active (the tab remembered it), as `role`. */
async function mountTeamSettings(role: AccountRole, plan: 'FREE' | 'TEAM' = 'TEAM') {
  const mounted = await mountWithApp(SubscriptionSettingsView, {
    path: '/settings/subscription',
    sessionStorage: { 'tollgate.activeAccount.u1': TEAM_ID },
    handlers: {
      'accounts.list': () => [accountFixture(), teamFixture({ role, plan })],
      'billing.subscription': () =>
        withUsage(
          overviewFixture(plan, {
            trial: { isEligible: false, startedAt: null, endsAt: null, daysLeft: null },
          }),
          12,
        ),
      'billing.invoices': () => [],
      'usage.balance': () => balanceFixture(plan, 12),
      'billing.spendSettings': () =>
        spendFixture({
          overage: { ...spendFixture().overage, enabled: true },
          cap: { kind: 'runs', runs: 50 },
        }),
    },
  });
  await useAccountsStore(mounted.pinia).load();
  await new Promise((resolve) => setTimeout(resolve, 10));
  return mounted;
}

describe('Settings › Subscription on a team account', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it("a member sees the team's plan and shared usage, but no billing buttons and no invoices", async () => {
    const { wrapper, fake } = await mountTeamSettings('member');
    expect(wrapper.get('[data-testid="plan-name"]').text()).toBe('Team');
    expect(wrapper.get('[data-testid="usage-card"]').text()).toContain('12 / 2,000 runs');
    // The balance is the team's to see; buying packs, like the plan, is for owners and admins.
    expect(wrapper.findAll('button')).toHaveLength(0);
    expect(wrapper.find('[data-testid="buy-runs"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="balance-total"]').text()).toBe('1,988 runs available');
    expect(wrapper.get('[data-testid="billing-managers-only"]').text()).toContain('owners and admins');
    // Spend past the plan: read, not changed (no switch, field or select).
    const spend = wrapper.get('[data-testid="spend-card"]');
    expect(spend.findAll('input, select')).toHaveLength(0);
    expect(spend.get('[data-testid="overage-state"]').text()).toBe('Overage billing is on.');
    expect(spend.get('[data-testid="spend-cap-summary"]').text()).toBe('Cap: 50 runs a month.');
    expect(wrapper.text()).not.toContain('Invoices');
    expect(fake.callsTo('billing.invoices')).toHaveLength(0);
    expect(fake.callsTo('billing.subscription').every((call) => call.account === TEAM_ID)).toBe(true);
  });

  it('an owner of a team without a plan is offered TEAM only, priced per seat', async () => {
    const { wrapper, pinia } = await mountTeamSettings('owner', 'FREE');
    expect(wrapper.find('[data-testid="billing-managers-only"]').exists()).toBe(false);
    const host = await mountWithApp(UpgradeModalHost, {
      path: '/settings/subscription',
      sessionStorage: { 'tollgate.activeAccount.u1': TEAM_ID },
      handlers: { 'accounts.list': () => [accountFixture(), teamFixture({ plan: 'FREE' })] },
    });
    await useAccountsStore(host.pinia).load();
    useBillingStore(host.pinia).openUpgrade();
    await new Promise((resolve) => setTimeout(resolve, 10));

    const plans = host.wrapper.findAll('[data-plan]');
    expect(plans.map((plan) => plan.attributes('data-plan'))).toEqual(['TEAM']);
    expect(plans[0]?.text()).toContain('$15 / seat / month');
    expect(plans[0]?.get('button').text()).toBe('Choose Team');
    expect(useAccountsStore(pinia).activeKind).toBe('team');
  });

  it('the header meter of a team without a plan says so, and offers a member no upgrade', async () => {
    const { wrapper, pinia } = await mountWithApp(UsageIndicator, {
      sessionStorage: { 'tollgate.activeAccount.u1': TEAM_ID },
      handlers: {
        'accounts.list': () => [accountFixture(), teamFixture({ role: 'member', plan: 'FREE' })],
        'billing.subscription': () => withUsage(overviewFixture('FREE'), 0, 0),
      },
    });
    await useAccountsStore(pinia).load();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(useAccountsStore(pinia).role).toBe('member');
    expect(wrapper.get('[data-testid="usage-note"]').text()).toBe('No plan yet');
    expect(wrapper.find('button').exists()).toBe(false);
  });
});
