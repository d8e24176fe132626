import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError, type FakeHandler } from '../../../test/fake-trpc';
import {
  ISO,
  OTHER_TEAM_ID,
  TEAM_ID,
  accountFixture,
  memberFixture,
  teamFixture,
  type WireMember,
} from '../../../test/fixtures';
import { later } from '../../../test/later';
import { mountWithApp } from '../../../test/mount-with-app';
import { useAccountsStore } from '../accounts.store';
import MembersView from './members-view.vue';

const self = memberFixture({ role: 'owner' });
const mia = memberFixture({ userId: 'u-mia', email: 'mia@example.com', role: 'member' });
const acmeOnly = memberFixture({ userId: 'u-acme', email: 'acme-only@example.com', role: 'member' });
const globexOnly = memberFixture({ userId: 'u-globex', email: 'globex-only@example.com', role: 'member' });
const ROWS: Record<string, WireMember[]> = {
  [TEAM_ID]: [self, mia, acmeOnly],
  [OTHER_TEAM_ID]: [self, mia, globexOnly],
};
/** accounts.invite's answer for Acme: the link is shown once. */
const invitationToBo = {
  id: '00000000-0000-4000-8000-00000000c002',
  accountId: TEAM_ID,
  email: 'bo@example.com',
  role: 'member',
  createdAt: ISO(0),
  expiresAt: ISO(7),
  token: 'tok',
  url: `http://localhost/invitations/accept?account=${TEAM_ID}&invitation=x#token=tok`,
};
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/** The caller owns Acme (whose page is open) and Globex; `handlers` replace the defaults. */
function mountOnAcme(handlers: Record<string, FakeHandler> = {}) {
  return mountWithApp(MembersView, {
    path: `/accounts/${TEAM_ID}/members`,
    props: { id: TEAM_ID },
    handlers: {
      'accounts.list': () => [
        accountFixture(),
        teamFixture({ role: 'owner' }),
        teamFixture({ id: OTHER_TEAM_ID, name: 'Globex', role: 'owner' }),
      ],
      'accounts.members': (input) => ROWS[(input as { accountId: string }).accountId],
      'accounts.invitations': () => [],
      ...handlers,
    },
  });
}

describe('Members page, after moving to another team', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it("shows the new team's members, not a late answer for the previous team", async () => {
    let answerAcme: (() => void) | null = null;
    const { wrapper } = await mountOnAcme({
      'accounts.members': (input) => {
        const { accountId } = input as { accountId: string };
        // Acme's first read is slow: the user moves to Globex before it answers.
        if (accountId !== TEAM_ID || answerAcme) return ROWS[accountId];
        return new Promise((resolve) => (answerAcme = () => resolve(ROWS[accountId])));
      },
    });
    await wrapper.setProps({ id: OTHER_TEAM_ID } as never);
    await settle();
    expect(wrapper.text()).toContain('globex-only@example.com');

    (answerAcme as (() => void) | null)?.();
    await settle();
    await flushPromises();
    expect(wrapper.get('.page__eyebrow').text()).toBe('Globex');
    expect(wrapper.text()).toContain('globex-only@example.com');
    expect(wrapper.text()).not.toContain('acme-only@example.com');
  });

  it("forgets the previous team's invitation link and refusals", async () => {
    const { wrapper } = await mountOnAcme({
      'accounts.invite': (input) => ({ ...invitationToBo, ...(input as object) }),
      'accounts.setRole': () => {
        throw new FakeTrpcError('FORBIDDEN', 403, "Your role (admin) in this account can't do this");
      },
    });
    await wrapper.get('#invite-email').setValue('bo@example.com');
    await wrapper.get('[data-testid="invite-card"] form').trigger('submit');
    await flushPromises();
    const miaRow = () => wrapper.get('[data-testid="member-row"][data-email="mia@example.com"]');
    await miaRow().get('select').setValue('admin');
    await flushPromises();
    expect(wrapper.find('[data-testid="invitation-link"]').exists()).toBe(true);
    expect(miaRow().find('[data-testid="member-error"]').exists()).toBe(true);

    await wrapper.setProps({ id: OTHER_TEAM_ID } as never);
    await settle();
    expect(wrapper.get('.page__eyebrow').text()).toBe('Globex');
    expect(wrapper.find('[data-testid="invitation-link"]').exists()).toBe(false);
    expect(miaRow().find('[data-testid="member-error"]').exists()).toBe(false);
  });
});

describe('Members page, when an action on the previous team answers after the move', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  type Wrapper = Awaited<ReturnType<typeof mountOnAcme>>['wrapper'];
  const rowOf = (wrapper: Wrapper, email: string) =>
    wrapper.get(`[data-testid="member-row"][data-email="${email}"]`);
  const roleSelectOf = (wrapper: Wrapper, email: string) =>
    rowOf(wrapper, email).get('select').element as HTMLSelectElement;
  const accountOf = (input: unknown) => (input as { accountId: string }).accountId;
  const withRole = (rows: WireMember[], userId: string, role: WireMember['role']) =>
    rows.map((row) => (row.userId === userId ? { ...row, role } : row));

  /** Clicks the button named `label`, in the row of `rowEmail` when given. */
  async function click(wrapper: Wrapper, label: string, rowEmail?: string) {
    const buttons = wrapper.findAll(rowEmail ? `[data-email="${rowEmail}"] button` : 'button');
    await buttons.find((button) => button.text() === label)?.trigger('click');
  }

  async function moveToGlobex(wrapper: Wrapper) {
    await wrapper.setProps({ id: OTHER_TEAM_ID } as never);
    await settle();
    expect(wrapper.get('.page__eyebrow').text()).toBe('Globex');
  }

  async function arrive() {
    await settle();
    await flushPromises();
  }

  it("keeps the new team's members, and the caller's role there, when a transfer in the previous team answers", async () => {
    const transfer = later<WireMember[]>();
    const { wrapper, pinia } = await mountOnAcme({ 'accounts.transferOwnership': () => transfer.promise });
    await click(wrapper, 'Transfer ownership', 'mia@example.com');
    await click(wrapper, 'Transfer', 'mia@example.com');
    await moveToGlobex(wrapper);

    transfer.answer(withRole(withRole(ROWS[TEAM_ID] ?? [], self.userId, 'admin'), mia.userId, 'owner'));
    await arrive();
    expect(wrapper.text()).toContain('globex-only@example.com');
    expect(wrapper.text()).not.toContain('acme-only@example.com');
    expect(roleSelectOf(wrapper, 'mia@example.com').value).toBe('member');
    expect(wrapper.get('[data-testid="your-role"]').text()).toContain('Owner');
    // The switcher still learns that the caller is an admin of Acme now.
    const roles = useAccountsStore(pinia).list.map((account) => [account.id, account.role]);
    expect(roles).toContainEqual([TEAM_ID, 'admin']);
    expect(roles).toContainEqual([OTHER_TEAM_ID, 'owner']);
  });

  it("frees the new team's controls at once, and keeps them busy for the new team's own action", async () => {
    const roleInAcme = later<WireMember[]>();
    const roleInGlobex = later<WireMember[]>();
    const { wrapper, fake } = await mountOnAcme({
      'accounts.setRole': (input) =>
        accountOf(input) === TEAM_ID ? roleInAcme.promise : roleInGlobex.promise,
    });
    await rowOf(wrapper, 'mia@example.com').get('select').setValue('admin');
    expect(roleSelectOf(wrapper, 'mia@example.com').disabled).toBe(true);
    await moveToGlobex(wrapper);
    expect(roleSelectOf(wrapper, 'mia@example.com').disabled).toBe(false);

    await rowOf(wrapper, 'mia@example.com').get('select').setValue('admin');
    roleInAcme.answer(withRole(ROWS[TEAM_ID] ?? [], mia.userId, 'admin'));
    await arrive();
    expect(roleSelectOf(wrapper, 'mia@example.com').disabled).toBe(true);

    roleInGlobex.answer(withRole(ROWS[OTHER_TEAM_ID] ?? [], mia.userId, 'admin'));
    await arrive();
    expect(roleSelectOf(wrapper, 'mia@example.com').disabled).toBe(false);
    expect(roleSelectOf(wrapper, 'mia@example.com').value).toBe('admin');
    expect(wrapper.text()).not.toContain('acme-only@example.com');
    expect(fake.callsTo('accounts.setRole').map((call) => accountOf(call.input))).toEqual([
      TEAM_ID,
      OTHER_TEAM_ID,
    ]);
  });

  it('shows the change when the user came back to the team before its answer (Acme → Globex → Acme)', async () => {
    const roleInAcme = later<WireMember[]>();
    let isChanged = false;
    const acmeNow = () => (isChanged ? withRole(ROWS[TEAM_ID] ?? [], mia.userId, 'admin') : ROWS[TEAM_ID]);
    const { wrapper } = await mountOnAcme({
      'accounts.setRole': () => roleInAcme.promise,
      'accounts.members': (input) => (accountOf(input) === TEAM_ID ? acmeNow() : ROWS[accountOf(input)]),
    });
    await rowOf(wrapper, 'mia@example.com').get('select').setValue('admin');
    await moveToGlobex(wrapper);
    await wrapper.setProps({ id: TEAM_ID } as never); // back on Acme: read before the change is made
    await arrive();
    expect(roleSelectOf(wrapper, 'mia@example.com').value).toBe('member');

    isChanged = true;
    roleInAcme.answer(acmeNow() ?? []);
    await arrive();
    expect(roleSelectOf(wrapper, 'mia@example.com').value).toBe('admin');
  });

  it("doesn't show the previous team's refusal on the new team's row", async () => {
    const roleInAcme = later<WireMember[]>();
    const { wrapper } = await mountOnAcme({ 'accounts.setRole': () => roleInAcme.promise });
    await rowOf(wrapper, 'mia@example.com').get('select').setValue('admin');
    await moveToGlobex(wrapper);

    roleInAcme.refuse(new FakeTrpcError('FORBIDDEN', 403, "Your role (admin) in this account can't do this"));
    await arrive();
    expect(rowOf(wrapper, 'mia@example.com').find('[data-testid="member-error"]').exists()).toBe(false);
  });

  it("doesn't show the link of an invitation made for the previous team", async () => {
    const invite = later<unknown>();
    const { wrapper } = await mountOnAcme({ 'accounts.invite': () => invite.promise });
    await wrapper.get('#invite-email').setValue('bo@example.com');
    await wrapper.get('[data-testid="invite-card"] form').trigger('submit');
    await moveToGlobex(wrapper);

    invite.answer(invitationToBo);
    await arrive();
    expect(wrapper.find('[data-testid="invitation-link"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="pending-invitations"]').text()).not.toContain('bo@example.com');
  });

  it('stays on the new team, still listed, when leaving the previous team answers', async () => {
    const leave = later<unknown>();
    const { wrapper, pinia, router } = await mountOnAcme({ 'accounts.leave': () => leave.promise });
    await click(wrapper, 'Leave team');
    await moveToGlobex(wrapper);

    leave.answer({ accountId: TEAM_ID, left: true });
    await arrive();
    expect(wrapper.get('.page__eyebrow').text()).toBe('Globex');
    expect(router.currentRoute.value.path).toBe(`/accounts/${TEAM_ID}/members`);
    const teams = useAccountsStore(pinia).teams.map((team) => team.id);
    expect(teams).toEqual([OTHER_TEAM_ID]);
  });
});
