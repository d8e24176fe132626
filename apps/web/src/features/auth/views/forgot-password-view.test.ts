import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { mountWithApp } from '../../../test/mount-with-app';
import ForgotPasswordView from './forgot-password-view.vue';

const SENT = "If an account exists for that address, we've sent a link to reset the password.";

describe('Forgot password', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('asks for a link and says the same thing whoever the address belongs to', async () => {
    const { wrapper, fake } = await mountWithApp(ForgotPasswordView, {
      path: '/forgot-password',
      isSignedIn: false,
      handlers: { 'auth.requestPasswordReset': () => ({ accepted: true }) },
    });
    await wrapper.get('#forgot-email').setValue(' someone@example.com ');
    await wrapper.get('form').trigger('submit');
    await flushPromises();

    expect(fake.callsTo('auth.requestPasswordReset').map((call) => call.input)).toEqual([
      { email: 'someone@example.com' },
    ]);
    expect(wrapper.get('[data-testid="forgot-password-sent"]').text()).toContain(SENT);
  });

  it('something that is not an address: says so and sends nothing', async () => {
    const { wrapper, fake } = await mountWithApp(ForgotPasswordView, {
      path: '/forgot-password',
      isSignedIn: false,
      handlers: {},
    });
    await wrapper.get('#forgot-email').setValue('not-an-address');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[role="alert"]').text()).toBe('Enter the email address you signed up with.');
    expect(fake.calls).toHaveLength(0);
  });
});
