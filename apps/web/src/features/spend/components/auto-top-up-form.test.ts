import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { formatDateTime } from '../../../lib/format';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { spendFixture, type WireSpend } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import SpendCard from './spend-card.vue';

type AutoTopUp = WireSpend['autoTopUp'];

function mountCard(autoTopUp: Partial<AutoTopUp> = {}, canEdit = true) {
  let stored = spendFixture({ autoTopUp: { ...spendFixture().autoTopUp, ...autoTopUp } });
  return mountWithApp(SpendCard, {
    props: { canEdit },
    handlers: {
      'billing.spendSettings': () => stored,
      'billing.updateSpendSettings': (input) => {
        const change = (
          input as { autoTopUp: Pick<AutoTopUp, 'threshold' | 'packId' | 'monthlyLimit'> | null }
        ).autoTopUp;
        stored = {
          ...stored,
          autoTopUp: change
            ? { ...stored.autoTopUp, enabled: true, ...change }
            : { ...stored.autoTopUp, enabled: false },
        };
        return stored;
      },
    },
  });
}

type Wrapper = Awaited<ReturnType<typeof mountCard>>['wrapper'];
const section = (wrapper: Wrapper) => wrapper.get('[data-testid="auto-top-up"]');

describe('Spend past your plan › auto top-up', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('is off at first; turned on it suggests a setup, checks it as typed, and saves it', async () => {
    const { wrapper, fake } = await mountCard();
    const toggle = section(wrapper).get('input[role="switch"]');
    expect((toggle.element as HTMLInputElement).checked).toBe(false);
    expect(section(wrapper).find('#auto-top-up-threshold').exists()).toBe(false);

    await toggle.setValue(true);
    expect((wrapper.get('#auto-top-up-threshold').element as HTMLInputElement).value).toBe('20');
    expect((wrapper.get('#auto-top-up-pack').element as HTMLSelectElement).value).toBe('PACK_100');
    expect((wrapper.get('#auto-top-up-limit').element as HTMLInputElement).value).toBe('3');

    await wrapper.get('#auto-top-up-threshold').setValue('100');
    await wrapper.get('#auto-top-up-limit').setValue('40');
    await section(wrapper).get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="auto-top-up-threshold-error"]').text()).toBe(
      "Use a whole number from 1 to 99: below the pack's 100 runs.",
    );
    expect(wrapper.get('[data-testid="auto-top-up-limit-error"]').text()).toBe(
      'Use a whole number from 1 to 31.',
    );
    expect(fake.callsTo('billing.updateSpendSettings')).toHaveLength(0);

    // The bigger pack lifts the bound: 100 is below its 1,000 runs.
    await wrapper.get('#auto-top-up-pack').setValue('PACK_1000');
    await wrapper.get('#auto-top-up-limit').setValue('2');
    await section(wrapper).get('form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('billing.updateSpendSettings').map((call) => call.input)).toEqual([
      { autoTopUp: { threshold: 100, packId: 'PACK_1000', monthlyLimit: 2 } },
    ]);
    expect(wrapper.get('[data-testid="auto-top-up-saved"]').text()).toBe('Saved.');
    expect(wrapper.get('[data-testid="auto-top-up-purchases"]').text()).toBe('0 of 2 purchases this month');
  });

  it('turned off, it is saved as null', async () => {
    const { wrapper, fake } = await mountCard({
      enabled: true,
      threshold: 10,
      packId: 'PACK_100',
      monthlyLimit: 3,
    });
    await section(wrapper).get('input[role="switch"]').setValue(false);
    await section(wrapper).get('form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('billing.updateSpendSettings').map((call) => call.input)).toEqual([
      { autoTopUp: null },
    ]);
  });

  it("shows the server's refusal inline", async () => {
    const { wrapper, fake } = await mountCard({
      enabled: true,
      threshold: 10,
      packId: 'PACK_100',
      monthlyLimit: 3,
    });
    fake.handlers['billing.updateSpendSettings'] = () => {
      throw new FakeTrpcError('BAD_REQUEST', 400, "The threshold must be below the pack's 100 runs");
    };
    await section(wrapper).get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="auto-top-up-error"]').text()).toBe(
      "The threshold must be below the pack's 100 runs",
    );
  });

  it('shows purchases this month, a back-off after a decline and the last failure', async () => {
    const backoffUntil = new Date(Date.now() + 3_600_000).toISOString();
    const { wrapper } = await mountCard({
      enabled: true,
      threshold: 10,
      packId: 'PACK_100',
      monthlyLimit: 3,
      purchasesThisMonth: 1,
      backoffUntil,
      lastFailure: 'declined: card_declined',
    });
    expect(wrapper.get('[data-testid="auto-top-up-purchases"]').text()).toBe('1 of 3 purchases this month');
    expect(wrapper.get('[data-testid="auto-top-up-backoff"]').text()).toBe(
      `Paused after a declined payment until ${formatDateTime(backoffUntil)}.`,
    );
    expect(wrapper.get('[data-testid="auto-top-up-failure"]').text()).toBe(
      'The last purchase was declined (card_declined).',
    );
  });

  it('a back-off that is over is not shown', async () => {
    const { wrapper } = await mountCard({ backoffUntil: new Date(Date.now() - 60_000).toISOString() });
    expect(wrapper.find('[data-testid="auto-top-up-backoff"]').exists()).toBe(false);
  });

  it('a member reads it in a sentence', async () => {
    const { wrapper } = await mountCard(
      { enabled: true, threshold: 20, packId: 'PACK_1000', monthlyLimit: 3 },
      false,
    );
    expect(section(wrapper).find('form').exists()).toBe(false);
    expect(wrapper.get('[data-testid="auto-top-up-summary"]').text()).toBe(
      'Auto top-up is on: buys 1,000 runs ($80) when fewer than 20 runs are left, at most 3 times a month.',
    );
  });
});
