import { packOffersFor, type SpendCapReached } from '@tollgate/domain';
import { afterEach, describe, expect, it } from 'vitest';
import { formatDate } from '../../../lib/format';
import { FakeTrpcError, type FakeHandler } from '../../../test/fake-trpc';
import {
  ISO,
  TEAM_ID,
  accountFixture,
  overviewFixture,
  spendFixture,
  teamFixture,
  withUsage,
} from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { useAccountsStore } from '../../accounts/accounts.store';
import SessionView from './session-view.vue';

const SESSION_ID = '6f1c8e1e-8a57-4a4e-9d0c-2f6a4d1d9b10';
const session = { id: SESSION_ID, userId: 'u1', title: 'Research', createdAt: ISO(-1), updatedAt: ISO(-1) };
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

const CAP: SpendCapReached = {
  capRuns: 2,
  capCents: 25,
  setBy: 'account',
  overageRuns: 2,
  spentCents: 25,
  raiseUrl: 'http://app.example/settings/subscription?cap=1',
};

/** The 402 the server sends when overage has reached the stricter cap (packs are offered with it). */
function capReached(spendCap: SpendCapReached) {
  return new FakeTrpcError('PAYMENT_REQUIRED', 402, 'Spend cap reached', {
    paymentRequired: {
      code: 'SPEND_CAP_REACHED',
      message: 'The spend cap for this period is reached',
      plan: 'BASIC',
      status: 'active',
      used: 100,
      limit: 100,
      resetsAt: ISO(21),
      upgradeUrl: 'http://app.example/settings/subscription?upgrade=1',
      packs: packOffersFor('SPEND_CAP_REACHED'),
      buyRunsUrl: 'http://app.example/settings/subscription?buy=1',
      spendCap,
    },
  });
}

async function mountRefused(spendCap = CAP, extra: Record<string, FakeHandler> = {}, storage = {}) {
  const mounted = await mountWithApp(SessionView, {
    path: `/sessions/${SESSION_ID}`,
    props: { id: SESSION_ID },
    sessionStorage: storage,
    handlers: {
      'sessions.get': () => ({ ...session, runs: [] }),
      'sessions.run': () => {
        throw capReached(spendCap);
      },
      'billing.subscription': () => withUsage(overviewFixture('BASIC'), 100),
      'billing.spendSettings': () => spendFixture(),
      ...extra,
    },
  });
  await useAccountsStore(mounted.pinia).load();
  await mounted.wrapper.get('textarea').setValue('One more task');
  await mounted.wrapper.get('form').trigger('submit');
  await settle();
  return { ...mounted, notice: mounted.wrapper.get('[data-testid="run-denied"]') };
}

const actionsOf = (notice: { findAll(selector: string): { text(): string }[] }) =>
  notice.findAll('.button-row > *').map((node) => node.text());

describe('Session view › a 402 at the spend cap', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('says the cap is reached and the spend, with "Raise the cap" next to the packs', async () => {
    const { notice, fake } = await mountRefused();
    expect(notice.get('.run-denied__title').text()).toBe("You've reached your monthly spend cap.");
    expect(notice.get('[data-testid="run-denied-spend"]').text()).toBe(
      'Spent past your plan this period: $0.25 of your cap, $0.25 (2 runs).',
    );
    expect(actionsOf(notice)).toEqual(['Raise the cap', 'Buy 100 runs — $10', 'Dismiss']);
    // The server's absolute raiseUrl opens in the app, as a route.
    expect(notice.get('[data-testid="raise-cap"]').attributes('href')).toBe('/settings/subscription?cap=1');
    expect(notice.get('[data-testid="buy-pack"]').classes()).toContain('button--secondary');
    expect(notice.get('[data-testid="run-denied-wait"]').text()).toBe(
      `Or wait until ${formatDate(ISO(21))}, when a new period starts.`,
    );
    // The header's overage count is read again: the cap stopped it where it is.
    expect(fake.callsTo('billing.spendSettings').length).toBeGreaterThanOrEqual(1);
  });

  it('a cap in runs says the runs', async () => {
    const { notice } = await mountRefused({
      ...CAP,
      capCents: null,
      capRuns: 40,
      overageRuns: 40,
      spentCents: 500,
    });
    expect(notice.get('[data-testid="run-denied-spend"]').text()).toBe(
      'Runs past your plan this period: 40 of your cap, 40 runs ($5.00).',
    );
  });

  it("an operator's cap is support's to raise: no link", async () => {
    const { notice } = await mountRefused({ ...CAP, setBy: 'operator' });
    expect(notice.get('.run-denied__title').text()).toBe(
      'Your account reached the spend cap support set for it.',
    );
    expect(notice.find('[data-testid="raise-cap"]').exists()).toBe(false);
    expect(notice.get('[data-testid="run-denied-wait"]').text()).toBe(
      `Contact support to raise it, or wait until ${formatDate(ISO(21))}, when a new period starts.`,
    );
  });

  it("a team's plain member is told who can raise it, with nothing to press", async () => {
    const { notice } = await mountRefused(
      CAP,
      { 'accounts.list': () => [accountFixture(), teamFixture({ role: 'member' })] },
      { 'tollgate.activeAccount.u1': TEAM_ID },
    );
    expect(actionsOf(notice)).toEqual(['Dismiss']);
    expect(notice.get('[data-testid="run-denied-wait"]').text()).toBe(
      `Ask an owner or admin to raise the cap, or wait until ${formatDate(ISO(21))}, when a new period starts.`,
    );
  });
});
