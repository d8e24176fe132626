import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { formatShortDate } from '../../../lib/format';
import {
  ISO,
  balanceFixture,
  grantFixture,
  overviewFixture,
  withUsage,
  type WireGrant,
} from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { useCreditsStore } from '../../credits/credits.store';
import { useBillingStore } from '../billing.store';
import UsageIndicator from './usage-indicator.vue';

async function mountIndicator(
  used: number,
  limit: number,
  plan: 'FREE' | 'TRIAL' | 'BASIC' | 'PRO' = 'BASIC',
) {
  const overview = withUsage(overviewFixture(plan), used, limit);
  return mountWithApp(UsageIndicator, { handlers: { 'billing.subscription': () => overview } });
}

describe('UsageIndicator', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it.each([
    { used: 0, limit: 100, level: 'normal', label: '0 / 100 runs' },
    { used: 79, limit: 100, level: 'normal', label: '79 / 100 runs' },
    { used: 80, limit: 100, level: 'warning', label: '80 / 100 runs' },
    { used: 100, limit: 100, level: 'exhausted', label: '100 / 100 runs' },
  ])('shows $used of $limit runs as $level', async ({ used, limit, level, label }) => {
    const { wrapper } = await mountIndicator(used, limit);

    expect(wrapper.get('[data-testid="usage-label"]').text()).toBe(label);
    const bar = wrapper.get('[role="progressbar"]');
    expect(bar.attributes('aria-valuenow')).toBe(String(used));
    expect(bar.attributes('aria-valuemax')).toBe(String(limit));
    expect(bar.attributes('data-level')).toBe(level);
    expect(wrapper.get('.usage-meter__bar').attributes('style')).toContain(`width: ${used}%`);
    expect(wrapper.find('.usage-meter').classes()).toContain(`usage-meter--${level}`);
  });

  it.each([
    { used: 7, limit: 10, note: null },
    { used: 8, limit: 10, note: '2 runs left' },
    { used: 9, limit: 10, note: '1 run left' },
    { used: 10, limit: 10, note: `No runs left · resets ${formatShortDate(ISO(21))}` },
  ])('says in words how many runs are left at $used / $limit', async ({ used, limit, note }) => {
    const { wrapper } = await mountIndicator(used, limit, 'FREE');
    const shown = wrapper.find('[data-testid="usage-note"]');
    expect(shown.exists() ? shown.text() : null).toBe(note);
  });

  it('a used-up trial says when the trial ends, not that runs reset', async () => {
    const { wrapper } = await mountIndicator(50, 50, 'TRIAL');
    expect(wrapper.get('[data-testid="usage-note"]').text()).toBe(
      `No runs left · trial ends ${formatShortDate(ISO(21))}`,
    );
  });

  it('prompts an upgrade only once the limit is reached', async () => {
    const below = await mountIndicator(99, 100);
    expect(below.wrapper.text()).not.toContain('Upgrade');
    below.wrapper.unmount();

    const { wrapper, pinia } = await mountIndicator(10, 10, 'FREE');
    const button = wrapper.get('button');
    expect(button.text()).toBe('Upgrade for more runs');
    await button.trigger('click');
    expect(useBillingStore(pinia).isUpgradeOpen).toBe(true);
  });

  it('at the top plan points to the reset date instead of an upgrade', async () => {
    const { wrapper } = await mountIndicator(1000, 1000, 'PRO');
    expect(wrapper.find('button').exists()).toBe(false);
    expect(wrapper.get('[data-testid="usage-note"]').text()).toContain('No runs left · resets');
  });

  it('offers a retry instead of spinning when usage cannot be loaded', async () => {
    let isDown = true;
    const { wrapper } = await mountWithApp(UsageIndicator, {
      handlers: {
        'billing.subscription': () => {
          if (isDown) throw new Error('connection reset');
          return withUsage(overviewFixture('FREE'), 3);
        },
      },
    });
    expect(wrapper.text()).toContain('Usage unavailable');

    isDown = false;
    await wrapper.get('button').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="usage-label"]').text()).toBe('3 / 10 runs');
  });

  describe('with packs and grants', () => {
    async function mountWithGrants(used: number, grants: WireGrant[], plan: 'FREE' | 'PRO' = 'FREE') {
      const overview = withUsage(overviewFixture(plan), used);
      return mountWithApp(UsageIndicator, {
        handlers: {
          'billing.subscription': () => overview,
          'usage.balance': () => balanceFixture(plan, used, grants),
        },
      });
    }

    it('counts every spendable run: "7 of 10 runs left + 100 from packs"', async () => {
      const { wrapper } = await mountWithGrants(3, [grantFixture()]);
      expect(wrapper.get('[data-testid="usage-label"]').text()).toBe('3 / 10 runs');
      expect(wrapper.get('[data-testid="usage-note"]').text()).toBe('7 of 10 runs left + 100 from packs');
      expect(wrapper.get('[data-testid="usage-indicator"]').attributes('data-level')).toBe('normal');
    });

    it('a used-up allowance with pack runs left is no alarm and asks for no upgrade', async () => {
      const expiredPack = grantFixture({ id: 'old', remaining: 0, isSpendable: false, expiredUnits: 5 });
      const { wrapper } = await mountWithGrants(10, [grantFixture({ remaining: 42 }), expiredPack]);
      expect(wrapper.get('[data-testid="usage-note"]').text()).toBe('0 of 10 runs left + 42 from packs');
      expect(wrapper.get('[data-testid="usage-indicator"]').attributes('data-level')).toBe('normal');
      expect(wrapper.get('[role="progressbar"]').attributes('data-level')).toBe('normal');
      expect(wrapper.find('button').exists()).toBe(false);
    });

    it("names an operator's grant as such", async () => {
      const grant = grantFixture({ source: 'operator', packId: null, name: 'Granted runs', remaining: 25 });
      const { wrapper } = await mountWithGrants(1, [grant, grantFixture({ id: 'pack', remaining: 100 })]);
      expect(wrapper.get('[data-testid="usage-note"]').text()).toBe(
        '9 of 10 runs left + 125 from packs and grants',
      );
    });

    it('a blocked account counts no pack runs: it could not spend them', async () => {
      const overview = withUsage(
        overviewFixture('FREE', { blockedReason: 'This team account has no paid plan.' }),
        0,
        0,
      );
      const { wrapper } = await mountWithApp(UsageIndicator, {
        handlers: {
          'billing.subscription': () => overview,
          'usage.balance': () => balanceFixture('FREE', 0, [grantFixture()]),
        },
      });
      expect(wrapper.text()).not.toContain('from packs');
      expect(wrapper.get('[data-testid="usage-indicator"]').attributes('data-level')).toBe('exhausted');
    });

    it("follows a run's answer (its `credits`) without asking again", async () => {
      const { wrapper, pinia, fake } = await mountWithGrants(10, [grantFixture({ remaining: 100 })]);
      useCreditsStore(pinia).applyRunCredits(99);
      await flushPromises();
      expect(wrapper.get('[data-testid="usage-note"]').text()).toBe('0 of 10 runs left + 99 from packs');
      expect(fake.callsTo('usage.balance')).toHaveLength(1);
    });

    it('with the packs spent, says no runs are left and offers the upgrade with the packs', async () => {
      const spent = grantFixture({ remaining: 0, isSpendable: false });
      const { wrapper, pinia } = await mountWithGrants(10, [spent]);
      expect(wrapper.get('[data-testid="usage-note"]').text()).toContain('No runs left');
      await wrapper.get('button').trigger('click');
      expect(useBillingStore(pinia).upgradePacks.map((pack) => pack.id)).toEqual(['PACK_100', 'PACK_1000']);
    });
  });
});
