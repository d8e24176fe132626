import type { AccountRole } from '@tollgate/sdk';
import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { ISO, TEAM_ID, accountFixture, memberFixture, teamFixture } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import MembersView from './members-view.vue';

const owner = memberFixture({ userId: 'u-owner', email: 'olga@example.com', role: 'owner' });
const admin = memberFixture({ userId: 'u-admin', email: 'adam@example.com', role: 'admin' });
const member = memberFixture({
  userId: 'u-member',
  email: 'mia@example.com',
  role: 'member',
  usedThisPeriod: 7,
});
const invitation = {
  id: '00000000-0000-4000-8000-00000000c001',
  accountId: TEAM_ID,
  email: 'new@example.com',
  role: 'member' as const,
  createdAt: ISO(-1),
  expiresAt: ISO(6),
};

/** The signed-in user is u1 (ada@…), with `role` in the team. */
function mountMembers(role: AccountRole, handlers: Record<string, (input: unknown) => unknown> = {}) {
  const self = memberFixture({ role });
  return mountWithApp(MembersView, {
    path: `/accounts/${TEAM_ID}/members`,
    props: { id: TEAM_ID },
    handlers: {
      'accounts.list': () => [accountFixture(), teamFixture({ role })],
      'accounts.members': () => [self, owner, admin, member],
      'accounts.invitations': () => [invitation],
      ...handlers,
    },
  });
}

type Wrapper = Awaited<ReturnType<typeof mountMembers>>['wrapper'];
const row = (wrapper: Wrapper, email: string) =>
  wrapper.get(`[data-testid="member-row"][data-email="${email}"]`);
const buttonsOf = (wrapper: Wrapper, email: string) =>
  row(wrapper, email)
    .findAll('button')
    .map((button) => button.text());

describe('Members page', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('lists members with role, runs this period and cap; names the account in every call', async () => {
    const { wrapper, fake } = await mountMembers('member');
    expect(wrapper.findAll('[data-testid="member-row"]')).toHaveLength(4);
    const mia = row(wrapper, 'mia@example.com');
    expect(mia.get('[data-testid="member-used"]').text()).toBe('7');
    expect(mia.get('[data-testid="member-cap"]').text()).toBe('No cap');
    expect(fake.callsTo('accounts.members').map((call) => call.input)).toEqual([{ accountId: TEAM_ID }]);
  });

  it('owner: invites (member or admin), changes roles, caps, removes, transfers, revokes, leaves', async () => {
    const { wrapper } = await mountMembers('owner');
    expect(wrapper.find('[data-testid="invite-card"]').exists()).toBe(true);
    expect(wrapper.findAll('#invite-role option').map((option) => option.text())).toEqual([
      'Member',
      'Admin',
    ]);
    expect(row(wrapper, 'adam@example.com').find('select').exists()).toBe(true);
    expect(buttonsOf(wrapper, 'adam@example.com')).toEqual(['Set cap', 'Transfer ownership', 'Remove']);
    expect(buttonsOf(wrapper, 'olga@example.com')).toEqual(['Set cap', 'Remove']);
    // Their own row: a role select, but no remove or transfer.
    expect(buttonsOf(wrapper, 'ada@example.com')).toEqual([]);
    expect(wrapper.find('[data-testid="pending-invitations"]').text()).toContain('new@example.com');
    expect(wrapper.find('[data-testid="pending-invitations"] button').text()).toBe('Revoke');
    expect(wrapper.text()).toContain('Leave team');
  });

  it('admin: manages plain members only, changes no roles, invites members only', async () => {
    const { wrapper } = await mountMembers('admin');
    expect(wrapper.findAll('#invite-role option').map((option) => option.text())).toEqual(['Member']);
    expect(wrapper.findAll('[data-testid="member-row"] select')).toHaveLength(0);
    expect(buttonsOf(wrapper, 'mia@example.com')).toEqual(['Set cap', 'Remove']);
    expect(buttonsOf(wrapper, 'adam@example.com')).toEqual([]);
    expect(buttonsOf(wrapper, 'olga@example.com')).toEqual([]);
    expect(wrapper.find('[data-testid="pending-invitations"] button').text()).toBe('Revoke');
  });

  it('member: sees the list only, and may leave; never asks for the invitations', async () => {
    const { wrapper, fake } = await mountMembers('member');
    expect(wrapper.find('[data-testid="invite-card"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="pending-invitations"]').exists()).toBe(false);
    expect(wrapper.findAll('[data-testid="member-list"] button')).toHaveLength(0);
    expect(wrapper.findAll('[data-testid="member-list"] select')).toHaveLength(0);
    expect(fake.callsTo('accounts.invitations')).toHaveLength(0);
    expect(wrapper.findAll('button').map((button) => button.text())).toEqual(['Leave team']);
  });

  it('inviting shows the link to send, with a copy button', async () => {
    const { wrapper, fake } = await mountMembers('owner', {
      'accounts.invite': (input) => ({
        ...invitation,
        id: '00000000-0000-4000-8000-00000000c002',
        email: 'bo@example.com',
        token: 'tok',
        url: `http://localhost/invitations/accept?account=${TEAM_ID}&invitation=x#token=tok`,
        ...(input as object),
      }),
    });
    await wrapper.get('#invite-email').setValue('bo@example.com');
    await wrapper.get('#invite-role').setValue('admin');
    await wrapper.get('[data-testid="invite-card"] form').trigger('submit');
    await flushPromises();

    expect(fake.callsTo('accounts.invite').map((call) => call.input)).toEqual([
      { accountId: TEAM_ID, email: 'bo@example.com', role: 'admin' },
    ]);
    const link = wrapper.get('[data-testid="invitation-link"]');
    expect((link.get('input').element as HTMLInputElement).value).toContain('#token=tok');
    expect(link.get('button').text()).toBe('Copy link');
    expect(wrapper.get('[data-testid="pending-invitations"]').text()).toContain('bo@example.com');
  });

  it("shows the server's refusals next to the control: LAST_OWNER on leave, 403 on a role change", async () => {
    const { wrapper } = await mountMembers('owner', {
      'accounts.leave': () => {
        throw new FakeTrpcError(
          'CONFLICT',
          409,
          'An account needs at least one owner: make someone else owner first',
          {
            appCode: 'LAST_OWNER',
          },
        );
      },
      'accounts.setRole': () => {
        throw new FakeTrpcError('FORBIDDEN', 403, "Your role (admin) in this account can't do this");
      },
    });
    const leave = wrapper.findAll('button').find((button) => button.text() === 'Leave team');
    await leave?.trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="leave-error"]').text()).toContain('at least one owner');

    await row(wrapper, 'mia@example.com').get('select').setValue('admin');
    await flushPromises();
    expect(row(wrapper, 'mia@example.com').get('[data-testid="member-error"]').text()).toContain(
      "can't do this",
    );
  });

  it('sets and clears a cap, and removes a member after confirming', async () => {
    let rows = [memberFixture({ role: 'owner' }), member];
    const { wrapper, fake } = await mountMembers('owner', {
      'accounts.members': () => rows,
      'accounts.setMemberCap': (input) => {
        const { monthlyRunCap } = input as { monthlyRunCap: number | null };
        rows = rows.map((known) => (known.userId === member.userId ? { ...known, monthlyRunCap } : known));
        return rows;
      },
      'accounts.removeMember': () => (rows = rows.filter((known) => known.userId !== member.userId)),
    });
    await row(wrapper, 'mia@example.com').get('input').setValue('25');
    await row(wrapper, 'mia@example.com').get('form').trigger('submit');
    await flushPromises();
    expect(row(wrapper, 'mia@example.com').get('[data-testid="member-cap"]').text()).toBe('25 runs');

    const clear = row(wrapper, 'mia@example.com')
      .findAll('button')
      .find((button) => button.text() === 'Clear cap');
    await clear?.trigger('click');
    await flushPromises();
    expect(
      fake
        .callsTo('accounts.setMemberCap')
        .map((call) => (call.input as { monthlyRunCap: unknown }).monthlyRunCap),
    ).toEqual([25, null]);

    await row(wrapper, 'mia@example.com').get('button[aria-label="Remove mia@example.com"]').trigger('click');
    expect(fake.callsTo('accounts.removeMember')).toHaveLength(0);
    const confirm = row(wrapper, 'mia@example.com')
      .findAll('button')
      .find((button) => button.text() === 'Remove');
    await confirm?.trigger('click');
    await flushPromises();
    expect(fake.callsTo('accounts.removeMember')).toHaveLength(1);
    expect(wrapper.find('[data-email="mia@example.com"]').exists()).toBe(false);
  });
});
