import { defineComponent, h } from 'vue';
import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import {
  OTHER_TEAM_ID,
  TEAM_ID,
  accountFixture,
  overviewFixture,
  spendFixture,
  teamFixture,
} from '../../test/fixtures';
import { mountWithApp } from '../../test/mount-with-app';
import { useBillingStore } from '../billing/billing.store';
import { useSpendStore } from '../spend/spend.store';
import { useAccountsStore } from './accounts.store';

const STORAGE_KEY = 'tollgate.activeAccount.u1';

/** A component that creates the stores the way the signed-in layout does. */
const Probe = defineComponent({
  setup() {
    useAccountsStore();
    return () => h('div');
  },
});

function mountStore(list = [accountFixture(), teamFixture()], storedTeam?: string) {
  return mountWithApp(Probe, {
    sessionStorage: storedTeam ? { [STORAGE_KEY]: storedTeam } : {},
    handlers: {
      'accounts.list': () => list,
      'billing.subscription': () => overviewFixture('FREE'),
      'billing.spendSettings': () => spendFixture({ overageRuns: 7 }),
    },
  });
}

describe('accounts store', () => {
  afterEach(() => {
    document.body.innerHTML = '';
    window.sessionStorage.clear();
  });

  it('sends no X-Tollgate-Account header while the personal account is active', async () => {
    const { pinia, fake } = await mountStore();
    const accounts = useAccountsStore(pinia);
    await accounts.load();
    await useBillingStore(pinia).load();

    expect(accounts.activeId).toBeNull();
    expect(accounts.label).toBe('Personal');
    expect(accounts.role).toBe('owner');
    expect(fake.calls.map((call) => call.account)).toEqual([null, null]);
  });

  it('sends the team id on every call once a team is active, and remembers it for this tab', async () => {
    const { pinia, fake } = await mountStore();
    const accounts = useAccountsStore(pinia);
    await accounts.load();
    accounts.activate(TEAM_ID);
    await useBillingStore(pinia).load();

    expect(fake.callsTo('billing.subscription').map((call) => call.account)).toEqual([TEAM_ID]);
    expect(window.sessionStorage.getItem(STORAGE_KEY)).toBe(TEAM_ID);
    expect(accounts.label).toBe('Acme');
    expect(accounts.activeKind).toBe('team');

    // Back to personal: no header again, nothing stored.
    accounts.activate(accounts.personal?.id ?? null);
    await useBillingStore(pinia).load();
    expect(fake.callsTo('billing.subscription').map((call) => call.account)).toEqual([TEAM_ID, null]);
    expect(window.sessionStorage.getItem(STORAGE_KEY)).toBeNull();
  });

  it('switching drops the billing store: nothing of the previous account is shown', async () => {
    const { pinia } = await mountStore();
    const accounts = useAccountsStore(pinia);
    await accounts.load();
    const before = useBillingStore(pinia);
    await before.load();
    expect(before.overview?.plan).toBe('FREE');

    accounts.activate(TEAM_ID);
    const after = useBillingStore(pinia);
    expect(after).not.toBe(before);
    expect(after.overview).toBeNull();
    expect(after.status).toBe('idle');
  });

  it("switching drops the spend store too: the header never shows another account's overage", async () => {
    const { pinia } = await mountStore();
    const accounts = useAccountsStore(pinia);
    await accounts.load();
    const before = useSpendStore(pinia);
    await before.load();
    expect(before.overview?.overageRuns).toBe(7);

    accounts.activate(TEAM_ID);
    const after = useSpendStore(pinia);
    expect(after).not.toBe(before);
    expect(after.overview).toBeNull();
    expect(after.status).toBe('idle');
  });

  it('restores the stored team before the first call goes out', async () => {
    const { pinia, fake } = await mountStore(undefined, TEAM_ID);
    await useBillingStore(pinia).load();
    expect(fake.callsTo('billing.subscription')[0]?.account).toBe(TEAM_ID);
    await useAccountsStore(pinia).load();
    expect(useAccountsStore(pinia).activeId).toBe(TEAM_ID);
  });

  it('falls back to the personal account when the stored team is no longer in the list', async () => {
    const { pinia, fake } = await mountStore(undefined, OTHER_TEAM_ID);
    const accounts = useAccountsStore(pinia);
    await accounts.load();
    await flushPromises();

    expect(fake.callsTo('accounts.list')).toHaveLength(1);
    expect(accounts.activeId).toBeNull();
    expect(accounts.label).toBe('Personal');
    expect(window.sessionStorage.getItem(STORAGE_KEY)).toBeNull();
    await useBillingStore(pinia).load();
    expect(fake.callsTo('billing.subscription').at(-1)?.account).toBeNull();
  });

  it('a plain member of the active team may not manage billing; its owner may', async () => {
    const { pinia } = await mountStore([accountFixture(), teamFixture({ role: 'member' })]);
    const accounts = useAccountsStore(pinia);
    await accounts.load();
    accounts.activate(TEAM_ID);
    expect(accounts.isAllowed('manage_billing')).toBe(false);
    expect(accounts.isAllowed('view_billing')).toBe(true);
    accounts.activate(null);
    expect(accounts.isAllowed('manage_billing')).toBe(true);
  });
});
