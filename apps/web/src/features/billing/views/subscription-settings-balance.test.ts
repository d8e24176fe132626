import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatDate, formatUtcDate } from '../../../lib/format';
import { FakeTrpcError } from '../../../test/fake-trpc';
import {
  ISO,
  NOW,
  balanceFixture,
  grantFixture,
  overviewFixture,
  withUsage,
  type WireBalance,
} from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import SubscriptionSettingsView from './subscription-settings-view.vue';

const CHECKOUT_URL = 'http://localhost:12111/checkout/cs_test_pack';

// In the server's draw order: soonest expiry first; the expired one is listed too, for its story.
const expired = grantFixture({
  id: 'expired',
  remaining: 0,
  expiredUnits: 12,
  createdAt: ISO(-400),
  startsAt: ISO(-400),
  expiresAt: ISO(-35),
  isSpendable: false,
});
const soonest = grantFixture({ id: 'soonest', remaining: 60, createdAt: ISO(-165), expiresAt: ISO(200) });
const refunded = grantFixture({
  id: 'refunded',
  remaining: 70,
  clawbackUnits: 30,
  clawedBackUnits: 30,
  amountRefundedCents: 300,
  amountDisputedCents: 0,
  createdAt: ISO(-65),
  expiresAt: ISO(300),
});
const big = grantFixture({
  id: 'big',
  packId: 'PACK_1000',
  name: '1,000 runs pack',
  units: 1000,
  remaining: 1000,
  amountPaidCents: 8000,
  createdAt: ISO(-15),
  expiresAt: ISO(350),
});

function mountSettings(
  balance: () => WireBalance,
  path = '/settings/subscription',
  storage = {},
  overview = withUsage(overviewFixture('FREE'), 10),
) {
  return mountWithApp(SubscriptionSettingsView, {
    path,
    sessionStorage: storage,
    handlers: {
      'billing.subscription': () => overview,
      'billing.invoices': () => [],
      'usage.balance': balance,
      'billing.createPackCheckout': () => ({ id: 'cs_test_pack', url: CHECKOUT_URL }),
    },
  });
}

type Wrapper = Awaited<ReturnType<typeof mountSettings>>['wrapper'];
const grantTexts = (wrapper: Wrapper, testId: string) =>
  wrapper.findAll(`[data-testid="grant"] [data-testid="${testId}"]`).map((node) => node.text());

describe('Settings › Subscription › Balance and packs', () => {
  // The fixtures' dates are relative to NOW: "expired" and "expires" must be read on that day.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });

  afterEach(() => {
    vi.useRealTimers();
    document.body.innerHTML = '';
    window.sessionStorage.clear();
  });

  it('breaks the balance down: the allowance, then each pack by expiry, refunds and expiry explained', async () => {
    const { wrapper } = await mountSettings(() =>
      balanceFixture('FREE', 10, [expired, soonest, refunded, big]),
    );

    const card = wrapper.get('[data-testid="usage-card"]');
    expect(card.get('h2').text()).toBe('Balance');
    expect(wrapper.get('[data-testid="balance-total"]').text()).toBe('1,130 runs available');
    expect(card.text()).toContain('Free plan allowance, this period');
    expect(card.get('[data-testid="usage-label"]').text()).toBe('10 / 10 runs');
    expect(card.text()).toContain(`Resets on ${formatDate(ISO(21))}`);
    // The allowance is used up, but packs hold runs: the meter is no alarm.
    expect(card.get('[role="progressbar"]').attributes('data-level')).toBe('normal');

    // What is spendable comes first, in the order runs draw it; the expired pack last.
    expect(grantTexts(wrapper, 'grant-remaining')).toEqual([
      '60 of 100 runs left',
      '70 of 100 runs left',
      '1,000 of 1,000 runs left',
      '0 of 100 runs left',
    ]);
    expect(grantTexts(wrapper, 'grant-expiry')).toEqual([
      `Expires ${formatUtcDate(ISO(200))} (UTC)`,
      `Expires ${formatUtcDate(ISO(300))} (UTC)`,
      `Expires ${formatUtcDate(ISO(350))} (UTC)`,
      `Expired ${formatUtcDate(ISO(-35))} (UTC)`,
    ]);
    const [first, second, third, last] = wrapper.findAll('[data-testid="grant"]');
    expect(first?.text()).toContain('100 runs pack');
    expect(first?.text()).toContain(`Bought ${formatUtcDate(ISO(-165))} for $10`);
    expect(second?.get('[data-testid="grant-note"]').text()).toBe('Refunded $3.00: 30 runs removed');
    expect(third?.text()).toContain('1,000 runs pack');
    expect(third?.text()).toContain('for $80');
    expect(third?.find('[data-testid="grant-note"]').exists()).toBe(false);
    expect(last?.get('.badge').text()).toBe('Expired');
    expect(last?.get('[data-testid="grant-note"]').text()).toBe('Expired: 12 runs unused');

    expect(wrapper.get('[data-testid="draw-order"]').text()).toBe(
      "Runs come from your plan's allowance for this period first, then from packs and grants, those expiring soonest first.",
    );
  });

  it('without packs says so, and still says which runs go first', async () => {
    const { wrapper } = await mountSettings(() => balanceFixture('FREE', 3));
    expect(wrapper.get('[data-testid="balance-total"]').text()).toBe('7 runs available');
    expect(wrapper.get('[data-testid="no-grants"]').text()).toBe('No packs or grants yet.');
    expect(wrapper.get('[data-testid="draw-order"]').text()).toContain(
      "plan's allowance for this period first",
    );
  });

  it('offers both packs with their price and validity; buying one opens its hosted checkout', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { wrapper, fake } = await mountSettings(() => balanceFixture('FREE', 10, [soonest]));

    const buy = wrapper.get('[data-testid="buy-runs"]');
    expect(buy.get('h2').text()).toBe('Buy runs');
    const packs = buy.findAll('[data-pack]');
    expect(packs.map((pack) => pack.attributes('data-pack'))).toEqual(['PACK_100', 'PACK_1000']);
    expect(packs[0]?.text()).toContain('$0.10 per run · expires 12 months after purchase');
    expect(packs[1]?.text()).toContain('$0.08 per run');
    expect(buy.findAll('button').map((button) => button.text())).toEqual([
      'Buy 100 runs — $10',
      'Buy 1,000 runs — $80',
    ]);

    await packs[0]?.get('button').trigger('click');
    await new Promise((resolve) => setTimeout(resolve, 10));

    expect(fake.callsTo('billing.createPackCheckout').map((call) => call.input)).toEqual([
      { packId: 'PACK_100' },
    ]);
    expect(assign).toHaveBeenCalledWith(CHECKOUT_URL);
    // Busy until the page is gone: a second click can't open a second checkout.
    expect(buy.findAll('button').every((button) => button.attributes('disabled') !== undefined)).toBe(true);
    expect(buy.text()).toContain('Opening checkout…');
    // What the return page compares against, to tell the new pack from the ones before.
    expect(window.sessionStorage.getItem('tollgate.packs-before-checkout')).toBe('["soonest"]');
  });

  it('a blocked account is sold no packs it could not spend', async () => {
    const blocked = overviewFixture('FREE', { blockedReason: 'This team account has no paid plan.' });
    const { wrapper } = await mountSettings(() => balanceFixture('FREE'), undefined, {}, blocked);
    expect(wrapper.find('[data-testid="usage-card"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="buy-runs"]').exists()).toBe(false);
  });

  it('back from a paid pack checkout: waits for the webhook, then shows the new pack', async () => {
    const added = grantFixture({ id: 'new', createdAt: ISO(0), expiresAt: ISO(365) });
    let reads = 0;
    const { wrapper, router } = await mountSettings(
      () => {
        reads += 1;
        return balanceFixture('FREE', 10, reads < 2 ? [soonest] : [soonest, added]);
      },
      '/settings/subscription?pack=success',
      { 'tollgate.packs-before-checkout': '["soonest"]' },
    );

    expect(router.currentRoute.value.query).toEqual({});
    expect(wrapper.get('[data-testid="return-banner"]').text()).toContain('Adding your runs');
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    expect(reads).toBe(2);
    expect(wrapper.get('[data-testid="return-banner"] p').text()).toBe(
      `Thank you! Your 100 runs pack is in your balance, to use until ${formatUtcDate(ISO(365))} (UTC).`,
    );
    expect(wrapper.get('[data-testid="balance-total"]').text()).toBe('160 runs available');
  });

  it('back from a canceled pack checkout: nothing charged, nothing added', async () => {
    const { wrapper } = await mountSettings(
      () => balanceFixture('FREE', 10),
      '/settings/subscription?pack=canceled',
    );
    expect(wrapper.get('[data-testid="return-banner"]').text()).toContain(
      'Checkout canceled: nothing was charged and no runs were added.',
    );
  });

  it("the 402's buy-runs link (?buy=1) brings the packs into view and focus", async () => {
    await mountSettings(() => balanceFixture('FREE', 10), '/settings/subscription?buy=1');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(document.activeElement?.id).toBe('buy-runs');
  });

  it('a balance that fails to load leaves the allowance in place, with a retry', async () => {
    let isDown = true;
    const { wrapper } = await mountSettings(() => {
      if (isDown) throw new FakeTrpcError('INTERNAL_SERVER_ERROR', 500, 'boom');
      return balanceFixture('FREE', 10, [soonest]);
    });
    const card = wrapper.get('[data-testid="usage-card"]');
    expect(card.get('[data-testid="usage-label"]').text()).toBe('10 / 10 runs');
    expect(card.get('[role="alert"]').text()).toContain("Couldn't load your packs and grants.");

    isDown = false;
    await card.get('[role="alert"] button').trigger('click');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(grantTexts(wrapper, 'grant-remaining')).toEqual(['60 of 100 runs left']);
  });
});
