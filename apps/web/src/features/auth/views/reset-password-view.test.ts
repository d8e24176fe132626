import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { mountWithApp } from '../../../test/mount-with-app';
import ResetPasswordView from './reset-password-view.vue';

function mountReset(options: { path?: string; isSignedIn?: boolean; reset?: () => unknown } = {}) {
  return mountWithApp(ResetPasswordView, {
    path: options.path ?? '/reset-password#token=reset-secret',
    isSignedIn: options.isSignedIn ?? false,
    handlers: { 'auth.resetPassword': options.reset ?? (() => ({ reset: true })) },
  });
}

async function submit(
  wrapper: Awaited<ReturnType<typeof mountReset>>['wrapper'],
  password: string,
  confirmation: string,
) {
  await wrapper.get('#reset-password').setValue(password);
  await wrapper.get('#reset-confirmation').setValue(confirmation);
  await wrapper.get('form').trigger('submit');
  await flushPromises();
}

describe('Reset password', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('takes the token out of the address bar as soon as it is read', async () => {
    const { router } = await mountReset();
    expect(router.currentRoute.value.hash).toBe('');
    expect(router.currentRoute.value.path).toBe('/reset-password');
  });

  it("passwords that don't match: says so and sends nothing", async () => {
    const { wrapper, fake } = await mountReset();
    await submit(wrapper, 'new password 1', 'new password 2');
    expect(wrapper.get('[data-testid="reset-error"]').text()).toBe("The passwords don't match.");
    expect(fake.calls).toHaveLength(0);
  });

  it('too short for the register rule (8 characters): says so and sends nothing', async () => {
    const { wrapper, fake } = await mountReset();
    await submit(wrapper, 'short', 'short');
    expect(wrapper.get('[data-testid="reset-error"]').text()).toBe(
      'Choose a password of at least 8 characters.',
    );
    expect(wrapper.get('#reset-password').attributes('minlength')).toBe('8');
    expect(fake.calls).toHaveLength(0);
  });

  it('success: sends the token and the new password, then points to sign-in', async () => {
    const { wrapper, fake } = await mountReset();
    await submit(wrapper, 'a new password', 'a new password');

    expect(fake.callsTo('auth.resetPassword').map((call) => call.input)).toEqual([
      { token: 'reset-secret', password: 'a new password' },
    ]);
    expect(wrapper.get('[data-testid="reset-password-done"]').text()).toBe(
      'Password changed — sign in with your new password.',
    );
    expect(wrapper.get('a').attributes('href')).toBe('/login');
    expect(wrapper.find('form').exists()).toBe(false);
  });

  it('signed in in this tab: signs out locally (the server revoked every session)', async () => {
    const { wrapper, session, fake } = await mountReset({ isSignedIn: true });
    await submit(wrapper, 'a new password', 'a new password');
    expect(session.get()).toBeNull();
    expect(fake.callsTo('auth.logout')).toHaveLength(0);
  });

  it('keeps the outcome in the history entry: signing out swaps the layout and mounts the page again', async () => {
    const { wrapper, router } = await mountReset({ isSignedIn: true });
    await submit(wrapper, 'a new password', 'a new password');
    expect(router.options.history.state.passwordChanged).toBe(true);
    expect(router.currentRoute.value.fullPath).toBe('/reset-password');
  });

  it('an expired or used link: says so and offers a new one', async () => {
    const { wrapper } = await mountReset({
      reset: () => {
        throw new FakeTrpcError('BAD_REQUEST', 400, 'This reset link is invalid, expired or already used', {
          appCode: 'TOKEN_INVALID',
        });
      },
    });
    await submit(wrapper, 'a new password', 'a new password');
    expect(wrapper.get('[data-testid="reset-password-invalid"]').text()).toContain(
      'invalid, has expired or was already used',
    );
    expect(wrapper.get('a').attributes('href')).toBe('/forgot-password');
  });

  it('a link without its token: explains instead of showing a form that must fail', async () => {
    const { wrapper } = await mountReset({ path: '/reset-password' });
    expect(wrapper.get('[data-testid="reset-password-invalid"]').text()).toContain('incomplete');
    expect(wrapper.find('form').exists()).toBe(false);
  });
});
