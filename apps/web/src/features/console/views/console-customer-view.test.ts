import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { ISO } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { ACCOUNT_ID, GRANT_ID, customerDetail } from '../console-fixtures';
import ConsoleCustomerView from './console-customer-view.vue';

type Role = 'operator' | 'support';

function mountPage(role: Role, handlers: Record<string, (input: unknown) => unknown> = {}) {
  let detail = customerDetail();
  return mountWithApp(ConsoleCustomerView, {
    props: { accountId: ACCOUNT_ID },
    handlers: {
      'auth.me': () => ({ id: 'u1', email: 'ops@example.com', createdAt: ISO(-30), platformRole: role }),
      'admin.customer': () => detail,
      // The server's answer, and the audit row it wrote, on the next admin.customer.
      'admin.grantCredits': (input) => {
        const { units, reason } = input as { units: number; reason: string };
        detail = customerDetail({
          timeline: [
            {
              at: ISO(0),
              kind: 'operator_action',
              summary: `Granted ${units} runs: ${reason}`,
              actor: 'ops',
              detail: null,
            },
            ...detail.timeline,
          ],
        });
        return {};
      },
      ...handlers,
    },
  });
}

const form = (wrapper: VueWrapper, testId: string) => wrapper.get(`[data-testid="${testId}"]`);
const field = (wrapper: VueWrapper, testId: string, label: string) => {
  const labelEl = form(wrapper, testId)
    .findAll('label')
    .find((candidate) => candidate.text() === label);
  return form(wrapper, testId).get(`#${CSS.escape(labelEl?.attributes('for') ?? 'missing')}`);
};

describe('Console › customer', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows the plan, balance, invoices and one timeline with kind badges, newest first', async () => {
    const { wrapper } = await mountPage('operator');
    expect(wrapper.get('[data-testid="customer-heading"]').text()).toBe('grace@example.com');
    expect(wrapper.get('[data-testid="customer-status"]').text()).toBe('Active');
    expect(wrapper.get('[data-testid="grant-row"]').text()).toContain('50 of 50');
    const invoice = wrapper.get('[data-testid="customer-invoice"] a');
    expect(invoice.attributes('href')).toBe('https://invoice.example/in_1');
    expect(invoice.attributes('rel')).toBe('noopener');
    const entries = wrapper.findAll('[data-testid="timeline-entry"]');
    expect(entries.map((entry) => entry.get('.badge').text())).toEqual(['Staff', '402', 'Stripe']);
    expect(entries[0]?.text()).toContain('ops@example.com (operator)');
    expect(wrapper.get('[data-testid="usage-per-day"]').text()).toContain('Runs per day');
  });

  it('support sees only the trial and grant actions', async () => {
    const { wrapper } = await mountPage('support');
    const forms = wrapper.get('[data-testid="customer-actions"]').findAll('form');
    expect(forms.map((found) => found.attributes('data-testid'))).toEqual(['grant-runs-form', 'trial-form']);
    expect(form(wrapper, 'grant-runs-form').text()).toContain('At most 1,000 a day');
  });

  it('an operator sees every action', async () => {
    const { wrapper } = await mountPage('operator');
    const forms = wrapper.get('[data-testid="customer-actions"]').findAll('form');
    expect(forms.map((found) => found.attributes('data-testid'))).toEqual([
      'grant-runs-form',
      'revoke-grant-form',
      'trial-form',
      'run-limit-form',
      'spend-cap-form',
      'comp-form',
      'enterprise-deal-form',
      'resync-form',
      'cancel-form',
    ]);
  });

  it('grants runs only with a reason, then reloads: the timeline shows the new row', async () => {
    const { wrapper, fake } = await mountPage('operator');
    await field(wrapper, 'grant-runs-form', 'Runs').setValue('25');
    await form(wrapper, 'grant-runs-form').trigger('submit');
    expect(form(wrapper, 'grant-runs-form').get('[role="alert"]').text()).toContain('Give a reason');
    expect(fake.callsTo('admin.grantCredits')).toHaveLength(0);

    await field(wrapper, 'grant-runs-form', 'Reason').setValue('  outage on March 9 ');
    await form(wrapper, 'grant-runs-form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('admin.grantCredits')[0]?.input).toEqual({
      accountId: ACCOUNT_ID,
      units: 25,
      expiresAt: null,
      reason: 'outage on March 9',
      idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(fake.callsTo('admin.customer')).toHaveLength(2);
    expect(wrapper.get('[data-testid="timeline-entry"]').text()).toContain(
      'Granted 25 runs: outage on March 9',
    );
    expect(form(wrapper, 'grant-runs-form').get('[role="status"]').text()).toContain('Done');
  });

  it('sends a failed grant again with its key (a lost answer grants once); the next grant gets a new key', async () => {
    let isOffline = true;
    const { wrapper, fake } = await mountPage('operator', {
      'admin.grantCredits': () => {
        if (isOffline) throw new FakeTrpcError('INTERNAL_SERVER_ERROR', 503, 'Database unavailable');
        return {};
      },
    });
    const grant = async (runs: string) => {
      await field(wrapper, 'grant-runs-form', 'Runs').setValue(runs);
      await field(wrapper, 'grant-runs-form', 'Reason').setValue('outage');
      await form(wrapper, 'grant-runs-form').trigger('submit');
      await flushPromises();
    };
    await grant('25');
    isOffline = false;
    await form(wrapper, 'grant-runs-form').trigger('submit');
    await flushPromises();
    await grant('5');
    const keys = fake
      .callsTo('admin.grantCredits')
      .map((call) => (call.input as { idempotencyKey: string }).idempotencyKey);
    expect(keys).toHaveLength(3);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it('shows what the server refused, and keeps the form as typed', async () => {
    const { wrapper } = await mountPage('support', {
      'admin.grantCredits': () => {
        throw new FakeTrpcError(
          'FORBIDDEN',
          403,
          'Support grants at most 1000 runs a day: 0 left (an operator can grant more)',
        );
      },
    });
    await field(wrapper, 'grant-runs-form', 'Runs').setValue('10');
    await field(wrapper, 'grant-runs-form', 'Reason').setValue('goodwill');
    await form(wrapper, 'grant-runs-form').trigger('submit');
    await flushPromises();
    expect(form(wrapper, 'grant-runs-form').get('[role="alert"]').text()).toBe(
      'Support grants at most 1000 runs a day: 0 left (an operator can grant more)',
    );
  });

  it("sets the operators' spend cap in dollars, as integer cents, and shows both caps", async () => {
    const { wrapper, fake } = await mountPage('operator', { 'admin.setSpendCap': () => ({ ok: true }) });
    expect(form(wrapper, 'spend-cap-form').text()).toContain("The operators': 500 runs a month");
    await field(wrapper, 'spend-cap-form', 'Dollars a month').setValue('99.50');
    await field(wrapper, 'spend-cap-form', 'Reason').setValue('runaway agent loop');
    await form(wrapper, 'spend-cap-form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('admin.setSpendCap')[0]?.input).toEqual({
      accountId: ACCOUNT_ID,
      cap: { kind: 'money', cents: 9950 },
      reason: 'runaway agent loop',
    });
  });

  it('revokes a grant chosen from those holding runs', async () => {
    const { wrapper, fake } = await mountPage('operator', { 'admin.revokeCredits': () => ({}) });
    await field(wrapper, 'revoke-grant-form', 'Grant').setValue(GRANT_ID);
    await field(wrapper, 'revoke-grant-form', 'Reason').setValue('granted by mistake');
    await form(wrapper, 'revoke-grant-form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('admin.revokeCredits')[0]?.input).toEqual({
      accountId: ACCOUNT_ID,
      grantId: GRANT_ID,
      reason: 'granted by mistake',
    });
  });

  it('sets an ENTERPRISE deal with the price in integer cents', async () => {
    const { wrapper, fake } = await mountPage('operator', {
      'admin.createEnterpriseDeal': () => ({ hostedInvoiceUrl: 'https://invoice.example/in_9' }),
    });
    await field(wrapper, 'enterprise-deal-form', 'Run limit per period').setValue('20,000');
    await field(wrapper, 'enterprise-deal-form', 'Price in dollars').setValue('1,234.56');
    await field(wrapper, 'enterprise-deal-form', 'Days to pay each invoice').setValue('14');
    await field(wrapper, 'enterprise-deal-form', 'Reason').setValue('signed order form');
    await form(wrapper, 'enterprise-deal-form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('admin.createEnterpriseDeal')[0]?.input).toEqual({
      accountId: ACCOUNT_ID,
      runLimit: 20_000,
      priceCents: 123_456,
      interval: 'month',
      collection: 'send_invoice',
      daysUntilDue: 14,
      reason: 'signed order form',
      idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const done = form(wrapper, 'enterprise-deal-form').get('[role="status"] a');
    expect(done.attributes('href')).toBe('https://invoice.example/in_9');
  });

  it('sends a deal again with its key after no answer or a 429 (it is made once); a refusal or a success gets a new key', async () => {
    const answers = [
      () => {
        throw new FakeTrpcError('BAD_GATEWAY', 502, 'Stripe could not be reached');
      },
      () => {
        throw new FakeTrpcError('TOO_MANY_REQUESTS', 429, 'A deal for this account is being made');
      },
      () => {
        throw new FakeTrpcError('BAD_REQUEST', 400, 'Stripe refused: no card on file');
      },
      () => ({ hostedInvoiceUrl: null }),
      () => ({ hostedInvoiceUrl: null }),
    ];
    const { wrapper, fake } = await mountPage('operator', {
      'admin.createEnterpriseDeal': () => (answers.shift() ?? answers[0])?.() ?? {},
    });
    const submit = async () => {
      await form(wrapper, 'enterprise-deal-form').trigger('submit');
      await flushPromises();
    };
    await field(wrapper, 'enterprise-deal-form', 'Run limit per period').setValue('500');
    await field(wrapper, 'enterprise-deal-form', 'Price in dollars').setValue('900');
    await field(wrapper, 'enterprise-deal-form', 'Reason').setValue('pilot');
    await submit(); // 502: no answer about the deal
    await submit(); // the same key: 429, still being made
    await submit(); // the same key: 400, refused
    await submit(); // a new key: made
    await field(wrapper, 'enterprise-deal-form', 'Run limit per period').setValue('600');
    await field(wrapper, 'enterprise-deal-form', 'Price in dollars').setValue('950');
    await field(wrapper, 'enterprise-deal-form', 'Reason').setValue('renewal');
    await submit(); // the next deal: another key
    const keys = fake
      .callsTo('admin.createEnterpriseDeal')
      .map((call) => (call.input as { idempotencyKey: string }).idempotencyKey);
    expect(keys).toHaveLength(5);
    expect(new Set(keys.slice(0, 3))).toHaveLength(1);
    expect(new Set(keys.slice(2))).toHaveLength(3);
  });

  it('cancels at the period end by default, or now', async () => {
    const { wrapper, fake } = await mountPage('operator', { 'admin.cancelSubscription': () => ({}) });
    await form(wrapper, 'cancel-form').get('input[value="now"]').setValue(true);
    await field(wrapper, 'cancel-form', 'Reason').setValue('fraud');
    await form(wrapper, 'cancel-form').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('admin.cancelSubscription')[0]?.input).toEqual({
      accountId: ACCOUNT_ID,
      atPeriodEnd: false,
      reason: 'fraud',
    });
  });
});
