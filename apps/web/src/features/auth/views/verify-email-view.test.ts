import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { meFixture } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { useAuthStore } from '../auth.store';
import VerifyEmailView from './verify-email-view.vue';

const invalid = () =>
  new FakeTrpcError('BAD_REQUEST', 400, 'This link is invalid, expired or already used', {
    appCode: 'TOKEN_INVALID',
  });

function mountVerify(
  options: { isSignedIn?: boolean; verify?: () => unknown; verified?: () => boolean } = {},
) {
  let isVerified = false;
  return mountWithApp(VerifyEmailView, {
    path: '/verify-email#token=verify-secret',
    isSignedIn: options.isSignedIn ?? true,
    handlers: {
      'auth.verifyEmail':
        options.verify ??
        (() => {
          isVerified = true;
          return { verified: true, email: 'ada@example.com' };
        }),
      'auth.me': () => meFixture({ emailVerified: options.verified?.() ?? isVerified }),
      'auth.resendVerification': () => ({ sent: true }),
    },
  });
}

describe('Verify email', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('verifies with the token from the fragment, and reads auth.me again when signed in', async () => {
    const { wrapper, fake, router, pinia } = await mountVerify();
    expect(router.currentRoute.value.hash).toBe('');
    expect(fake.callsTo('auth.verifyEmail').map((call) => call.input)).toEqual([{ token: 'verify-secret' }]);
    expect(wrapper.get('[data-testid="verify-email-success"]').text()).toContain('ada@example.com');
    expect(useAuthStore(pinia).emailVerified).toBe(true);
    expect(useAuthStore(pinia).isEmailUnverified).toBe(false);
  });

  it("another user's link opened while signed in: the signed-in user stays unverified", async () => {
    const { pinia } = await mountVerify({
      verify: () => ({ verified: true, email: 'someone-else@example.com' }),
      verified: () => false,
    });
    expect(useAuthStore(pinia).isEmailUnverified).toBe(true);
  });

  it('signed out: verifies too, and offers to sign in', async () => {
    const { wrapper, fake } = await mountVerify({ isSignedIn: false });
    expect(wrapper.find('[data-testid="verify-email-success"]').exists()).toBe(true);
    expect(fake.callsTo('auth.me')).toHaveLength(0);
    expect(wrapper.get('a').attributes('href')).toBe('/login');
  });

  it('a bad or used link: a clear error and, signed in, a way to get a new one', async () => {
    const { wrapper, fake } = await mountVerify({
      verify: () => {
        throw invalid();
      },
    });
    expect(wrapper.get('[data-testid="verify-email-error"]').text()).toContain('invalid');
    const resend = wrapper.findAll('button').find((button) => button.text() === 'Send a new link');
    await resend?.trigger('click');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(fake.callsTo('auth.resendVerification')).toHaveLength(1);
  });

  it('a used link of a user verified already: nothing is wrong', async () => {
    const { wrapper } = await mountVerify({
      verify: () => {
        throw invalid();
      },
      verified: () => true,
    });
    expect(wrapper.text()).toContain('Your email address is already verified.');
    expect(wrapper.find('[data-testid="verify-email-error"]').exists()).toBe(false);
  });
});
