import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { mountWithApp } from '../../../test/mount-with-app';
import UsageAlertsForm from './usage-alerts-form.vue';

function mountForm(canEdit = true) {
  return mountWithApp(UsageAlertsForm, {
    props: { canEdit },
    handlers: {
      'usage.alertSettings': () => ({ percents: [80, 100], runsRemaining: null }),
      'usage.setAlertSettings': (input) => input,
    },
  });
}

type Wrapper = Awaited<ReturnType<typeof mountForm>>['wrapper'];

async function fillAndSave(wrapper: Wrapper, percents: string, runs: string) {
  await wrapper.get('#usage-alert-percents').setValue(percents);
  await wrapper.get('#usage-alert-runs').setValue(runs);
  await wrapper.get('form').trigger('submit');
  await flushPromises();
}

describe('UsageAlertsForm', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('starts from the stored settings', async () => {
    const { wrapper } = await mountForm();
    expect((wrapper.get('#usage-alert-percents').element as HTMLInputElement).value).toBe('80, 100');
    expect((wrapper.get('#usage-alert-runs').element as HTMLInputElement).value).toBe('');
  });

  it('says what is wrong next to each field and sends nothing', async () => {
    const { wrapper, fake } = await mountForm();
    await fillAndSave(wrapper, '80, 120', '0');

    expect(wrapper.get('[data-testid="percents-error"]').text()).toBe(
      `"120" isn't a percentage: use whole numbers from 1 to 100.`,
    );
    expect(wrapper.get('[data-testid="runs-remaining-error"]').text()).toContain('from 1 to 1,000,000');
    expect(wrapper.get('#usage-alert-percents').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('#usage-alert-percents').attributes('aria-describedby')).toBe(
      'usage-alert-percents-error',
    );
    expect(fake.callsTo('usage.setAlertSettings')).toHaveLength(0);
  });

  it('refuses duplicates and more than five thresholds', async () => {
    const { wrapper } = await mountForm();
    await fillAndSave(wrapper, '50, 50', '');
    expect(wrapper.get('[data-testid="percents-error"]').text()).toBe(
      '50% is listed twice: list each threshold once.',
    );
    await fillAndSave(wrapper, '10 20 30 40 50 60', '');
    expect(wrapper.get('[data-testid="percents-error"]').text()).toBe('Choose at most 5 thresholds.');
  });

  it('saves sorted thresholds and an optional runs-remaining threshold', async () => {
    const { wrapper, fake } = await mountForm();
    await fillAndSave(wrapper, '90, 50', '25');

    expect(fake.callsTo('usage.setAlertSettings').map((call) => call.input)).toEqual([
      { percents: [50, 90], runsRemaining: 25 },
    ]);
    expect(wrapper.get('[data-testid="usage-alerts-saved"]').text()).toBe('Saved.');
    expect((wrapper.get('#usage-alert-percents').element as HTMLInputElement).value).toBe('50, 90');
  });

  it("shows the server's refusal", async () => {
    const { wrapper, fake } = await mountForm();
    fake.handlers['usage.setAlertSettings'] = () => {
      throw new FakeTrpcError('FORBIDDEN', 403, 'Only owners and admins can do that');
    };
    await fillAndSave(wrapper, '80', '');
    expect(wrapper.get('[data-testid="usage-alerts-save-error"]').text()).toBe(
      'Only owners and admins can do that',
    );
  });

  it('a plain member reads the settings, without a form', async () => {
    const { wrapper } = await mountForm(false);
    expect(wrapper.find('form').exists()).toBe(false);
    expect(wrapper.get('[data-testid="usage-alerts-summary"]').text()).toBe(
      "Alerts at 80% and 100% of the period's runs.",
    );
    expect(wrapper.text()).toContain("Only the account's owners and admins can change its usage alerts.");
  });
});
