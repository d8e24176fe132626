import { afterEach, describe, expect, it } from 'vitest';
import { formatShortDate } from '../../../lib/format';
import {
  ISO,
  balanceFixture,
  overviewFixture,
  spendFixture,
  withUsage,
  type WireSpend,
} from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import UsageIndicator from './usage-indicator.vue';

const overageOn = (overrides: Partial<WireSpend> = {}) =>
  spendFixture({ overage: { ...spendFixture().overage, enabled: true }, ...overrides });

/** The header of an account whose allowance is used up, with these spend settings. */
function mountHeader(spend: WireSpend, plan: 'FREE' | 'BASIC' = 'BASIC') {
  const overview = withUsage(overviewFixture(plan), plan === 'FREE' ? 10 : 100);
  return mountWithApp(UsageIndicator, {
    handlers: {
      'billing.subscription': () => overview,
      'usage.balance': () => balanceFixture(plan, overview.usage.used),
      'billing.spendSettings': () => spend,
    },
  });
}

describe('UsageIndicator › overage', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('says the runs billed as overage and what they cost; nothing is about to stop', async () => {
    const { wrapper } = await mountHeader(overageOn({ overageRuns: 12, spentCents: 150 }));
    expect(wrapper.get('[data-testid="overage-note"]').text()).toBe('Overage: 12 runs ($1.50)');
    expect(wrapper.get('[data-testid="overage-note"]').attributes('href')).toBe('/settings/subscription');
    expect(wrapper.get('[data-testid="usage-indicator"]').attributes('data-level')).toBe('normal');
    expect(wrapper.find('[data-testid="usage-note"]').exists()).toBe(false);
    expect(wrapper.find('button').exists()).toBe(false);
  });

  it('with overage on but none billed yet, says nothing about it', async () => {
    const { wrapper } = await mountHeader(overageOn());
    expect(wrapper.find('[data-testid="overage-note"]').exists()).toBe(false);
  });

  it('with overage off, runs billed earlier in the period are not shown as being billed', async () => {
    const { wrapper } = await mountHeader(spendFixture({ overageRuns: 3, spentCents: 38 }));
    expect(wrapper.find('[data-testid="overage-note"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="usage-note"]').text()).toBe(
      `No runs left · resets ${formatShortDate(ISO(21))}`,
    );
  });

  it('at the cap, says so in the overage note, and offers no upgrade (the cap is what to raise)', async () => {
    const { wrapper } = await mountHeader(
      overageOn({ effectiveCap: { runs: 2, setBy: 'account' }, overageRuns: 2, spentCents: 25 }),
    );
    const note = wrapper.get('[data-testid="overage-note"]');
    expect(note.text()).toBe('Overage: 2 runs ($0.25) · cap reached');
    expect(note.classes()).toContain('usage-indicator__note--exhausted');
    expect(wrapper.find('[data-testid="usage-note"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="usage-indicator"]').attributes('data-level')).toBe('exhausted');
    expect(wrapper.find('button').exists()).toBe(false);
  });

  it('a cap of nothing, reached before any overage, says the cap stopped the runs', async () => {
    const { wrapper } = await mountHeader(overageOn({ effectiveCap: { runs: 0, setBy: 'operator' } }));
    expect(wrapper.find('[data-testid="overage-note"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="usage-note"]').text()).toBe(
      `Spend cap reached · resets ${formatShortDate(ISO(21))}`,
    );
  });

  it('a plan without overage billing asks nothing about spend', async () => {
    const { fake } = await mountHeader(overageOn({ overageRuns: 1 }), 'FREE');
    expect(fake.callsTo('billing.spendSettings')).toHaveLength(0);
  });
});
