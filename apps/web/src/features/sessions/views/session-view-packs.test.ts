import { packOffersFor } from '@tollgate/domain';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatDate } from '../../../lib/format';
import { FakeTrpcError, type FakeHandler } from '../../../test/fake-trpc';
import {
  ISO,
  TEAM_ID,
  accountFixture,
  overviewFixture,
  teamFixture,
  withUsage,
} from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { useAccountsStore } from '../../accounts/accounts.store';
import { useBillingStore } from '../../billing/billing.store';
import SessionView from './session-view.vue';

const SESSION_ID = '6f1c8e1e-8a57-4a4e-9d0c-2f6a4d1d9b10';
const session = { id: SESSION_ID, userId: 'u1', title: 'Research', createdAt: ISO(-1), updatedAt: ISO(-1) };
const CHECKOUT_URL = 'http://localhost:12111/checkout/cs_test_pack';
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/** The 402 the server sends when the pool is used up and a pack would answer it (packOffersFor). */
function limitReached(plan: string, limit = 10) {
  return new FakeTrpcError('PAYMENT_REQUIRED', 402, 'Run limit reached for this period', {
    paymentRequired: {
      code: 'USAGE_LIMIT_REACHED',
      message: `You have used all ${limit} runs this month`,
      plan,
      status: 'active',
      used: limit,
      limit,
      resetsAt: ISO(21),
      upgradeUrl: 'http://localhost/settings/subscription?upgrade=1',
      packs: packOffersFor('USAGE_LIMIT_REACHED'),
      buyRunsUrl: 'http://localhost/settings/subscription?buy=1',
    },
  });
}

async function mountRefused(
  plan: 'FREE' | 'PRO' | 'TEAM',
  extra: Record<string, FakeHandler> = {},
  storage = {},
) {
  const limit = plan === 'PRO' ? 1000 : plan === 'TEAM' ? 2000 : 10;
  const mounted = await mountWithApp(SessionView, {
    path: `/sessions/${SESSION_ID}`,
    props: { id: SESSION_ID },
    sessionStorage: storage,
    handlers: {
      'sessions.get': () => ({ ...session, runs: [] }),
      'sessions.run': () => {
        throw limitReached(plan, limit);
      },
      'billing.subscription': () => withUsage(overviewFixture(plan), limit),
      'billing.createPackCheckout': () => ({ id: 'cs_test_pack', url: CHECKOUT_URL }),
      ...extra,
    },
  });
  await useAccountsStore(mounted.pinia).load();
  await mounted.wrapper.get('textarea').setValue('One more task');
  await mounted.wrapper.get('form').trigger('submit');
  await settle();
  return { ...mounted, notice: mounted.wrapper.get('[data-testid="run-denied"]') };
}

const buttonsOf = (notice: { findAll(selector: 'button'): { text(): string }[] }) =>
  notice.findAll('button').map((button) => button.text());

describe('Session view › a 402 that a run pack answers', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('offers "Buy 100 runs — $10" next to the trial and the upgrade, and the other packs one link away', async () => {
    const { notice } = await mountRefused('FREE');

    expect(notice.get('.run-denied__title').text()).toBe("You've used all 10 runs of your Free plan.");
    expect(buttonsOf(notice)).toEqual([
      'Start free 14-day trial',
      'Upgrade plan',
      'Buy 100 runs — $10',
      'Dismiss',
    ]);
    expect(notice.get('[data-testid="buy-pack"]').classes()).toContain('button--secondary');
    expect(notice.get('[data-testid="run-denied-packs"]').text()).toBe(
      'Packs are paid once and last 12 months. See all packs',
    );
    expect(notice.get('a').text()).toBe('See all packs');
    expect(notice.get('a').attributes('href')).toBe('/settings/subscription?buy=1');
    expect(notice.get('[data-testid="run-denied-wait"]').text()).toBe(
      `Or wait until ${formatDate(ISO(21))}, when your runs reset.`,
    );
  });

  it('buying goes straight to the pack checkout', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
    const { notice, fake } = await mountRefused('FREE');

    await notice.get('[data-testid="buy-pack"]').trigger('click');
    await settle();

    expect(fake.callsTo('billing.createPackCheckout').map((call) => call.input)).toEqual([
      { packId: 'PACK_100' },
    ]);
    expect(assign).toHaveBeenCalledWith(CHECKOUT_URL);
    expect(notice.get('[data-testid="buy-pack"]').text()).toBe('Opening checkout…');
  });

  it('"Upgrade plan" opens the plans with the packs beside them', async () => {
    const { notice, pinia } = await mountRefused('FREE');
    const upgrade = notice.findAll('button').find((button) => button.text() === 'Upgrade plan');
    await upgrade?.trigger('click');

    const billing = useBillingStore(pinia);
    expect(billing.isUpgradeOpen).toBe(true);
    expect(billing.upgradePacks.map((pack) => pack.id)).toEqual(['PACK_100', 'PACK_1000']);
  });

  it('on the top plan, a pack is the way forward that needs no waiting', async () => {
    const { notice } = await mountRefused('PRO');
    expect(buttonsOf(notice)).toEqual(['Buy 100 runs — $10', 'Dismiss']);
    expect(notice.get('[data-testid="buy-pack"]').classes()).toContain('button--primary');
    expect(notice.get('[data-testid="run-denied-wait"]').text()).toBe(
      `Or wait until ${formatDate(ISO(21))}, when your runs reset.`,
    );
  });

  it("a team's plain member is told who can buy, with no button to press", async () => {
    const { notice } = await mountRefused(
      'TEAM',
      { 'accounts.list': () => [accountFixture(), teamFixture({ role: 'member' })] },
      { 'tollgate.activeAccount.u1': TEAM_ID },
    );
    expect(buttonsOf(notice)).toEqual(['Dismiss']);
    expect(notice.find('a').exists()).toBe(false);
    expect(notice.get('[data-testid="run-denied-wait"]').text()).toBe(
      `Ask an owner or admin to buy more runs, or wait until ${formatDate(ISO(21))}, when your runs reset.`,
    );
  });
});
