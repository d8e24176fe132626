import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { formatShortDate } from '../../../lib/format';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { ISO, spendFixture, type WireSpend } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import SpendCard from './spend-card.vue';

type Change = { overageEnabled?: boolean; cap?: WireSpend['cap'] };

/** The card against a fake server that stores what it is sent, as billing.updateSpendSettings does. */
function mountCard(initial: WireSpend, { canEdit = true, path = '/settings/subscription' } = {}) {
  let stored = initial;
  return mountWithApp(SpendCard, {
    path,
    props: { canEdit },
    handlers: {
      'billing.spendSettings': () => stored,
      'billing.updateSpendSettings': (input) => {
        const change = input as Change;
        stored = {
          ...stored,
          overage: { ...stored.overage, enabled: change.overageEnabled ?? stored.overage.enabled },
          ...(change.cap === undefined ? {} : { cap: change.cap }),
        };
        return stored;
      },
    },
  });
}

type Wrapper = Awaited<ReturnType<typeof mountCard>>['wrapper'];
const text = (wrapper: Wrapper, testId: string) => wrapper.get(`[data-testid="${testId}"]`).text();

async function saveDollars(wrapper: Wrapper, dollars: string) {
  await wrapper.get('input[value="money"]').setValue(true);
  await wrapper.get('#spend-cap-dollars').setValue(dollars);
  await wrapper.get('[data-testid="spend-cap"] form').trigger('submit');
  await flushPromises();
}

describe('Spend past your plan (settings card)', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows the price per run, the spend this period and the forecast', async () => {
    const spend = spendFixture({
      overage: { ...spendFixture().overage, enabled: true },
      overageRuns: 12,
      spentCents: 150,
      forecast: { cents: 450, by: ISO(21) },
    });
    const { wrapper } = await mountCard(spend);

    expect(wrapper.get('h2').text()).toBe('Spend past your plan');
    expect(text(wrapper, 'overage-price')).toBe('$0.125 per run past your plan and credits');
    expect(text(wrapper, 'overage-spent')).toBe('12 runs · $1.50 this period');
    expect(text(wrapper, 'overage-forecast')).toBe(`At this pace: $4.50 by ${formatShortDate(ISO(21))}`);
    const toggle = wrapper.get('input[role="switch"][data-testid="overage-switch"]');
    expect((toggle.element as HTMLInputElement).checked).toBe(true);
    expect(toggle.element.closest('label')?.textContent?.trim()).toBe('Overage billing');
  });

  it('turns overage on at once; a refusal is said next to the switch', async () => {
    const { wrapper, fake } = await mountCard(spendFixture());
    expect(wrapper.find('[data-testid="overage-spent"]').exists()).toBe(false);

    await wrapper.get('[data-testid="overage-switch"]').setValue(true);
    await flushPromises();
    expect(fake.callsTo('billing.updateSpendSettings').map((call) => call.input)).toEqual([
      { overageEnabled: true },
    ]);
    expect(text(wrapper, 'overage-spent')).toBe('0 runs · $0.00 this period');

    fake.handlers['billing.updateSpendSettings'] = () => {
      throw new FakeTrpcError('CONFLICT', 409, 'Overage needs a Basic, Pro or Team subscription.');
    };
    await wrapper.get('[data-testid="overage-switch"]').setValue(false);
    await flushPromises();
    expect(text(wrapper, 'overage-error')).toBe('Overage needs a Basic, Pro or Team subscription.');
    // The switch shows what is stored, not what was asked.
    expect((wrapper.get('[data-testid="overage-switch"]').element as HTMLInputElement).checked).toBe(true);
  });

  it('where overage is unavailable: the reason, and no switch and no cap', async () => {
    const { wrapper } = await mountCard(
      spendFixture({
        overage: {
          ...spendFixture().overage,
          isAvailable: false,
          unavailableReason: 'Overage needs a Basic, Pro or Team subscription.',
        },
      }),
    );
    expect(text(wrapper, 'overage-unavailable')).toBe('Overage needs a Basic, Pro or Team subscription.');
    expect(wrapper.find('[role="switch"][data-testid="overage-switch"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="spend-cap"]').exists()).toBe(false);
  });

  it('checks the cap as typed (whole cents) and saves it in cents', async () => {
    const { wrapper, fake } = await mountCard(spendFixture());
    await saveDollars(wrapper, '0.255');
    expect(text(wrapper, 'spend-cap-error')).toBe(
      'Enter an amount in dollars and whole cents, from $0 to $1,000,000.',
    );
    expect(wrapper.get('#spend-cap-dollars').attributes('aria-invalid')).toBe('true');
    expect(fake.callsTo('billing.updateSpendSettings')).toHaveLength(0);

    await wrapper.get('#spend-cap-dollars').setValue('0.25');
    expect(wrapper.find('[data-testid="spend-cap-error"]').exists()).toBe(true);
    await wrapper.get('[data-testid="spend-cap"] form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('billing.updateSpendSettings').map((call) => call.input)).toEqual([
      { cap: { kind: 'money', cents: 25 } },
    ]);
    expect(wrapper.find('[data-testid="spend-cap-error"]').exists()).toBe(false);
    expect(text(wrapper, 'spend-cap-saved')).toBe('Saved.');
    expect(wrapper.get('#spend-cap-hint').text()).toBe('$0.25 allows 2 runs at $0.125 each. Tax excluded.');
  });

  it('saves a cap in runs, and no cap as null', async () => {
    const { wrapper, fake } = await mountCard(spendFixture({ cap: { kind: 'money', cents: 2550 } }));
    expect((wrapper.get('#spend-cap-dollars').element as HTMLInputElement).value).toBe('25.50');

    await wrapper.get('input[value="runs"]').setValue(true);
    await wrapper.get('#spend-cap-runs').setValue('40');
    await wrapper.get('[data-testid="spend-cap"] form').trigger('submit');
    await flushPromises();
    await wrapper.get('input[value="none"]').setValue(true);
    await wrapper.get('[data-testid="spend-cap"] form').trigger('submit');
    await flushPromises();

    expect(fake.callsTo('billing.updateSpendSettings').map((call) => call.input)).toEqual([
      { cap: { kind: 'runs', runs: 40 } },
      { cap: null },
    ]);
  });

  it("shows the server's refusal of a cap inline", async () => {
    const { wrapper, fake } = await mountCard(spendFixture());
    fake.handlers['billing.updateSpendSettings'] = () => {
      throw new FakeTrpcError('FORBIDDEN', 403, 'Only owners and admins can do that');
    };
    await saveDollars(wrapper, '5');
    expect(text(wrapper, 'spend-cap-error')).toBe('Only owners and admins can do that');
    expect(wrapper.find('[data-testid="spend-cap-saved"]').exists()).toBe(false);
  });

  it("says the operator's cap when it is the stricter one", async () => {
    const { wrapper } = await mountCard(
      spendFixture({
        cap: { kind: 'money', cents: 1000 },
        operatorCap: { kind: 'runs', runs: 40 },
        effectiveCap: { runs: 40, setBy: 'operator' },
      }),
    );
    expect(text(wrapper, 'operator-cap')).toBe(
      'Support set a cap of 40 runs a month. It is stricter than yours, so it applies; contact support to raise it.',
    );
  });

  it("leaves out the operator's cap when the account's own is stricter", async () => {
    const { wrapper } = await mountCard(
      spendFixture({
        cap: { kind: 'money', cents: 25 },
        operatorCap: { kind: 'runs', runs: 40 },
        effectiveCap: { runs: 2, setBy: 'account' },
      }),
    );
    expect(wrapper.find('[data-testid="operator-cap"]').exists()).toBe(false);
  });

  it('a member reads the settings with no controls', async () => {
    const { wrapper } = await mountCard(
      spendFixture({
        overage: { ...spendFixture().overage, enabled: true },
        cap: { kind: 'money', cents: 25 },
        effectiveCap: { runs: 2, setBy: 'account' },
        overageRuns: 1,
        spentCents: 13,
      }),
      { canEdit: false },
    );
    expect(wrapper.findAll('input, select, button')).toHaveLength(0);
    expect(text(wrapper, 'overage-state')).toBe('Overage billing is on.');
    expect(text(wrapper, 'spend-cap-summary')).toBe('Cap: $0.25 a month (2 runs).');
    expect(text(wrapper, 'overage-spent')).toBe('1 run · $0.13 this period');
    expect(text(wrapper, 'spend-managers-only')).toContain('owners and admins');
  });

  it("a 402's raise link (?cap=1) focuses the cap's amount and drops the flag", async () => {
    const { router } = await mountCard(spendFixture({ cap: { kind: 'money', cents: 25 } }), {
      path: '/settings/subscription?cap=1',
    });
    // The focus waits a task for the router's own scroll to the top of a new page.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(document.activeElement?.id).toBe('spend-cap-dollars');
    expect(router.currentRoute.value.query).toEqual({});
  });

  it('a load that fails offers a retry', async () => {
    let isDown = true;
    const { wrapper } = await mountWithApp(SpendCard, {
      props: { canEdit: true },
      handlers: {
        'billing.spendSettings': () => {
          if (isDown) throw new FakeTrpcError('INTERNAL_SERVER_ERROR', 500, 'boom');
          return spendFixture();
        },
      },
    });
    expect(wrapper.get('[role="alert"]').text()).toContain("Couldn't load your spend settings.");
    isDown = false;
    await wrapper.get('[role="alert"] button').trigger('click');
    await flushPromises();
    expect(text(wrapper, 'overage-price')).toBe('$0.125 per run past your plan and credits');
  });
});
