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
import { mountWithApp } from '../../../test/mount-with-app';
import MembersView from './members-view.vue';

const self = memberFixture({ role: 'owner' });
const mia = memberFixture({ userId: 'u-mia', email: 'mia@example.com', role: 'member' });
const acmeOnly = memberFixture({ userId: 'u-acme', email: 'acme-only@example.com', role: 'member' });
const globexOnly = memberFixture({ userId: 'u-globex', email: 'globex-only@example.com', role: 'member' });
const ROWS: Record<string, WireMember[]> = {
  [TEAM_ID]: [self, mia, acmeOnly],
  [OTHER_TEAM_ID]: [self, mia, globexOnly],
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
      'accounts.invite': (input) => ({
        id: '00000000-0000-4000-8000-00000000c002',
        accountId: TEAM_ID,
        email: 'bo@example.com',
        role: 'member',
        createdAt: ISO(0),
        expiresAt: ISO(7),
        token: 'tok',
        url: `http://localhost/invitations/accept?account=${TEAM_ID}&invitation=x#token=tok`,
        ...(input as object),
      }),
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
