import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { TEAM_ID, accountFixture, teamFixture } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { useAccountsStore } from '../accounts.store';
import AcceptInvitationView from './accept-invitation-view.vue';

const INVITATION_ID = '00000000-0000-4000-8000-00000000c001';
const LINK = `/invitations/accept?account=${TEAM_ID}&invitation=${INVITATION_ID}`;

function mountAccept(options: { path?: string; isSignedIn?: boolean; accept?: () => unknown } = {}) {
  return mountWithApp(AcceptInvitationView, {
    path: options.path ?? `${LINK}#token=secret-token`,
    isSignedIn: options.isSignedIn ?? true,
    handlers: {
      'accounts.list': () => [accountFixture()],
      'accounts.acceptInvitation': options.accept ?? (() => teamFixture({ role: 'member' })),
    },
  });
}

describe('Accept invitation', () => {
  afterEach(() => {
    document.body.innerHTML = '';
    window.sessionStorage.clear();
  });

  it('signed in: accepts with the token from the fragment and switches to the team', async () => {
    const { wrapper, fake, router, pinia } = await mountAccept();
    expect(wrapper.text()).toContain('ada@example.com');
    // The token left the address bar as soon as the page read it.
    expect(router.currentRoute.value.hash).toBe('');

    await wrapper.get('button').trigger('click');
    await flushPromises();

    expect(fake.callsTo('accounts.acceptInvitation').map((call) => call.input)).toEqual([
      { accountId: TEAM_ID, invitationId: INVITATION_ID, token: 'secret-token' },
    ]);
    expect(useAccountsStore(pinia).activeId).toBe(TEAM_ID);
    expect(router.currentRoute.value.path).toBe('/sessions');
    expect(window.sessionStorage.getItem(`tollgate.invitation.${INVITATION_ID}`)).toBeNull();
  });

  it('signed out: offers sign-in and sign-up that come back here, without the token in the URL', async () => {
    const { wrapper, fake } = await mountAccept({ isSignedIn: false });
    const links = wrapper
      .findAll('a')
      .map((link) => [link.text(), decodeURIComponent(link.attributes('href') ?? '')]);
    expect(links).toEqual([
      ['Sign in', `/login?redirect=${LINK}`],
      ['Create an account', `/register?redirect=${LINK}`],
    ]);
    expect(fake.calls).toHaveLength(0);
    expect(window.sessionStorage.getItem(`tollgate.invitation.${INVITATION_ID}`)).toBe('secret-token');
  });

  it('back after signing in (no fragment any more): uses the token kept in this tab', async () => {
    window.sessionStorage.setItem(`tollgate.invitation.${INVITATION_ID}`, 'kept-token');
    const { wrapper, fake } = await mountAccept({ path: LINK });
    await wrapper.get('button').trigger('click');
    await flushPromises();
    expect(fake.callsTo('accounts.acceptInvitation')[0]?.input).toMatchObject({ token: 'kept-token' });
  });

  it('a used or revoked invitation: says so and stays on the personal account', async () => {
    const { wrapper, router, pinia } = await mountAccept({
      accept: () => {
        throw new FakeTrpcError(
          'BAD_REQUEST',
          400,
          'This invitation is unknown, expired, revoked or already used',
          {
            appCode: 'INVITATION_INVALID',
          },
        );
      },
    });
    await wrapper.get('button').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="accept-error"]').text()).toContain('already used');
    expect(useAccountsStore(pinia).activeId).toBeNull();
    expect(router.currentRoute.value.path).toBe('/invitations/accept');
  });

  it('a link without its token: explains instead of offering a button that must fail', async () => {
    const { wrapper } = await mountAccept({ path: LINK });
    expect(wrapper.find('[data-testid="invitation-broken"]').exists()).toBe(true);
    expect(wrapper.find('button').exists()).toBe(false);
  });
});
