import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { ISO, balanceFixture, overviewFixture, withUsage, type WireOverview } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { formatDate } from '../../../lib/format';
import { useBillingStore } from '../billing.store';
import type { SubscriptionOverview } from '../billing.api';
import { rememberBeforePortal } from '../portal-snapshot';
import SubscriptionSettingsView from './subscription-settings-view.vue';

const invoice = {
  id: 'in_1',
  number: 'TG-0001',
  createdAt: ISO(-9),
  amountDue: 4900,
  amountPaid: 4900,
  currency: 'usd',
  status: 'paid',
  hostedInvoiceUrl: 'https://billing.example/invoice/in_1',
  invoicePdf: 'https://billing.example/invoice/in_1.pdf',
};

function mountSettings(
  overview: WireOverview | (() => WireOverview),
  path = '/settings/subscription',
  invoices = typeof overview === 'function' || !overview.hasStripeCustomer ? [] : [invoice],
) {
  return mountWithApp(SubscriptionSettingsView, {
    path,
    handlers: {
      'billing.subscription': () => (typeof overview === 'function' ? overview() : overview),
      'billing.invoices': () => invoices,
      'billing.activateTrial': () => overviewFixture('TRIAL'),
      'usage.balance': () => balanceFixture('FREE'),
    },
  });
}

/** The plan card's actions (the balance and "Buy runs" cards have tests of their own). */
const buttonLabels = (wrapper: Awaited<ReturnType<typeof mountSettings>>['wrapper']) =>
  wrapper
    .get('[aria-labelledby="plan-heading"]')
    .findAll('button')
    .map((button) => button.text());

describe('Settings › Subscription', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('free: usage with reset date, a trial offer and an upgrade, no invoices yet', async () => {
    const overview = withUsage(overviewFixture('FREE'), 3);
    const { wrapper } = await mountSettings(overview);

    expect(wrapper.get('[data-testid="plan-name"]').text()).toBe('Free');
    // Said once: no "Free" badge and no "Free" price line under the "Free" name.
    const planCard = wrapper.get('[aria-labelledby="plan-heading"]').text();
    expect(planCard.match(/Free/g)).toHaveLength(1);
    expect(wrapper.find('[data-testid="status-badge"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="usage-card"]').text()).toContain('3 / 10 runs');
    expect(wrapper.get('[data-testid="usage-card"]').text()).toContain(
      `Resets on ${formatDate(overview.usage.resetsAt)}`,
    );
    expect(buttonLabels(wrapper)).toEqual(['Start 14-day trial', 'Upgrade']);
    expect(wrapper.text()).toContain('No invoices yet.');
  });

  it('free: starting the trial shows the trial badge and its 50-run meter', async () => {
    let current = overviewFixture('FREE');
    const { wrapper, fake } = await mountSettings(() => current);
    fake.handlers['billing.activateTrial'] = () => {
      current = overviewFixture('TRIAL', {
        trial: { isEligible: false, startedAt: ISO(0), endsAt: ISO(14), daysLeft: 14 },
      });
      return current;
    };

    await wrapper.get('[aria-labelledby="plan-heading"] button').trigger('click');
    await new Promise((resolve) => setTimeout(resolve, 10));

    expect(fake.callsTo('billing.activateTrial')).toHaveLength(1);
    expect(wrapper.get('[data-testid="status-badge"]').text()).toBe('Trial · 14 days left');
    expect(wrapper.get('[data-testid="usage-card"]').text()).toContain('0 / 50 runs');
  });

  it('trialing: days left and the trial end date', async () => {
    const { wrapper } = await mountSettings(
      withUsage(
        overviewFixture('TRIAL', {
          trial: { isEligible: false, startedAt: ISO(-2), endsAt: ISO(12), daysLeft: 12 },
        }),
        7,
      ),
    );

    expect(wrapper.get('[data-testid="plan-name"]').text()).toBe('Trial');
    expect(wrapper.get('[data-testid="status-badge"]').text()).toBe('Trial · 12 days left');
    expect(wrapper.get('[data-testid="plan-details"]').text()).toContain(
      `Your trial ends on ${formatDate(ISO(12))}`,
    );
    const usageCard = wrapper.get('[data-testid="usage-card"]').text();
    expect(usageCard).toContain('7 / 50 runs');
    expect(usageCard).toContain(`Trial ends on ${formatDate(overviewFixture('TRIAL').usage.resetsAt)}`);
    expect(usageCard).not.toContain('Resets on');
    expect(buttonLabels(wrapper)).toEqual(['Upgrade']);
  });

  it('active: next billing date, portal access and the invoice history with links', async () => {
    const { wrapper } = await mountSettings(withUsage(overviewFixture('PRO'), 120));

    expect(wrapper.get('[data-testid="plan-name"]').text()).toBe('Pro');
    expect(wrapper.get('[data-testid="status-badge"]').text()).toBe('Active');
    expect(wrapper.get('[data-testid="plan-details"]').text()).toContain(
      `Next billing date: ${formatDate(ISO(21))}`,
    );
    expect(wrapper.get('[data-testid="usage-card"]').text()).toContain('120 / 1,000 runs');
    expect(buttonLabels(wrapper)).toEqual(['Manage subscription']);

    const row = wrapper.get('.invoice-table tbody tr');
    expect(row.text()).toContain('TG-0001');
    expect(row.text()).toContain('$49.00');
    expect(row.text()).toContain('Paid');
    const links = row.findAll('a').map((link) => link.attributes('href'));
    expect(links).toEqual([invoice.hostedInvoiceUrl, invoice.invoicePdf]);
  });

  it('free after an abandoned checkout: no "Manage subscription" into an empty portal', async () => {
    const { wrapper } = await mountSettings(
      overviewFixture('FREE', { hasStripeCustomer: true }),
      undefined,
      [],
    );
    expect(wrapper.text()).toContain('No invoices yet.');
    expect(buttonLabels(wrapper)).toEqual(['Start 14-day trial', 'Upgrade']);
  });

  it('free after a canceled paid plan: the portal still holds the invoices', async () => {
    const { wrapper } = await mountSettings(
      overviewFixture('FREE', { hasStripeCustomer: true, trial: { ...overviewFixture('PRO').trial } }),
      undefined,
      [invoice],
    );
    expect(buttonLabels(wrapper)).toEqual(['Upgrade', 'Manage subscription']);
  });

  it('back from the portal with the change already applied: no "checking" spinner left', async () => {
    const before = overviewFixture('PRO');
    const after = overviewFixture('PRO', { cancelAtPeriodEnd: true, endsAt: ISO(21), nextBillingAt: null });
    // What the store remembered on the way out (no dates set, so wire and SDK shapes print alike).
    rememberBeforePortal(before as unknown as SubscriptionOverview);
    const { wrapper, fake } = await mountSettings(() => after, '/settings/subscription?portal=1');

    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(wrapper.find('[data-testid="return-banner"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="ends-on"]').text()).toContain(formatDate(ISO(21)));
    expect(fake.callsTo('billing.subscription')).toHaveLength(1);
  });

  it('back from the portal with nothing changed yet: keeps checking until the webhook lands', async () => {
    let reads = 0;
    const { wrapper } = await mountSettings(() => {
      reads += 1;
      return overviewFixture('PRO', reads < 3 ? {} : { cancelAtPeriodEnd: true, endsAt: ISO(21) });
    }, '/settings/subscription?portal=1');

    expect(wrapper.get('[data-testid="return-banner"]').text()).toContain('Checking for changes');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(reads).toBe(3);
    expect(wrapper.find('[data-testid="return-banner"]').exists()).toBe(false);
  });

  it('past due in grace: the grace end date and an "update payment" action', async () => {
    const { wrapper } = await mountSettings(
      overviewFixture('BASIC', { status: 'past_due', graceEndsAt: ISO(5), nextBillingAt: ISO(21) }),
    );

    expect(wrapper.get('[data-testid="status-badge"]').text()).toBe('Past due');
    const alert = wrapper.get('[data-testid="plan-details"] [role="alert"]');
    expect(alert.text()).toContain("We couldn't charge your card.");
    expect(alert.text()).toContain(`Update your payment method by ${formatDate(ISO(5))}`);
    expect(buttonLabels(wrapper)).toEqual(['Update payment']);
  });

  it('canceling: the end date instead of a next billing date', async () => {
    const { wrapper } = await mountSettings(
      overviewFixture('PRO', { cancelAtPeriodEnd: true, endsAt: ISO(21), nextBillingAt: null }),
    );

    expect(wrapper.get('[data-testid="status-badge"]').text()).toBe('Canceling');
    expect(wrapper.get('[data-testid="ends-on"]').text()).toBe(
      `Your Pro plan ends on ${formatDate(ISO(21))}. You'll move to Free after that.`,
    );
    expect(wrapper.text()).not.toContain('Next billing date');
    expect(buttonLabels(wrapper)).toEqual(['Manage subscription']);
  });

  it('after checkout, polls until the webhook has applied the new plan', async () => {
    let reads = 0;
    const { wrapper, router } = await mountSettings(() => {
      reads += 1;
      return reads < 2 ? overviewFixture('FREE') : overviewFixture('PRO');
    }, '/settings/subscription?success=1');

    expect(router.currentRoute.value.query).toEqual({});
    expect(wrapper.get('[data-testid="return-banner"]').text()).toContain('Activating your new plan');
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    expect(reads).toBe(2);
    expect(wrapper.get('[data-testid="return-banner"]').text()).toContain("You're on the Pro plan now.");
    expect(wrapper.get('[data-testid="plan-name"]').text()).toBe('Pro');
  });

  it('after a canceled checkout, says nothing was charged', async () => {
    const { wrapper } = await mountSettings(overviewFixture('FREE'), '/settings/subscription?canceled=1');
    expect(wrapper.get('[data-testid="return-banner"]').text()).toContain(
      "Checkout canceled: nothing was charged. You're still on the Free plan.",
    );
  });

  it('opens the upgrade modal for the 402 upgrade link (?upgrade=1)', async () => {
    const { pinia } = await mountSettings(overviewFixture('FREE'), '/settings/subscription?upgrade=1');
    expect(useBillingStore(pinia).isUpgradeOpen).toBe(true);
  });

  it('shows an error with a retry instead of a endless spinner', async () => {
    let isDown = true;
    const { wrapper, fake } = await mountSettings(() => {
      if (isDown) throw new FakeTrpcError('INTERNAL_SERVER_ERROR', 500, 'boom');
      return overviewFixture('FREE');
    });
    expect(wrapper.get('[role="alert"]').text()).toContain("Couldn't load your subscription.");
    expect(fake.callsTo('billing.subscription')).toHaveLength(1);

    isDown = false;
    await wrapper.get('[role="alert"] button').trigger('click');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(wrapper.get('[data-testid="plan-name"]').text()).toBe('Free');
  });
});
