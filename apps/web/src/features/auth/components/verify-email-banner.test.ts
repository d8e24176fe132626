import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import SignedInLayout from '../../../components/signed-in-layout.vue';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { accountFixture, meFixture, overviewFixture } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import VerifyEmailBanner from './verify-email-banner.vue';
import { stopNotificationPolling } from '../../../test/stop-polling';

const tooMany = () =>
  new FakeTrpcError(
    'TOO_MANY_REQUESTS',
    429,
    'We just sent you a verification email: you can ask for another in 42 s',
    { appCode: null, retryAfterSeconds: 42 },
  );

function mountBanner(resend: () => unknown) {
  return mountWithApp(VerifyEmailBanner, {
    handlers: { 'auth.resendVerification': resend, 'auth.me': () => meFixture({ emailVerified: false }) },
  });
}

const resendButton = (wrapper: Awaited<ReturnType<typeof mountBanner>>['wrapper']) => wrapper.get('button');

describe('VerifyEmailBanner', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('says why and where the link went', async () => {
    const { wrapper } = await mountBanner(() => ({ sent: true }));
    expect(wrapper.text()).toContain(
      'Verify your email address to start a trial or upgrade. We sent a link to ada@example.com.',
    );
    expect(resendButton(wrapper).text()).toBe('Resend email');
  });

  it('resend: says a new link is on its way', async () => {
    const { wrapper, fake } = await mountBanner(() => ({ sent: true }));
    await resendButton(wrapper).trigger('click');
    await flushPromises();

    expect(fake.callsTo('auth.resendVerification')).toHaveLength(1);
    const outcome = wrapper.get('[data-testid="verify-banner-outcome"]');
    expect(outcome.attributes('role')).toBe('status');
    expect(outcome.text()).toBe('We sent a new link to ada@example.com. It may take a minute to arrive.');
    expect(resendButton(wrapper).attributes('disabled')).toBeUndefined();
  });

  it('rate-limited (429): shows the server message and waits before offering it again', async () => {
    const { wrapper, fake } = await mountBanner(() => {
      throw tooMany();
    });
    await resendButton(wrapper).trigger('click');
    await flushPromises();

    const outcome = wrapper.get('[data-testid="verify-banner-outcome"]');
    expect(outcome.attributes('role')).toBe('alert');
    expect(outcome.text()).toBe('We just sent you a verification email: you can ask for another in 42 s');
    expect(resendButton(wrapper).attributes('disabled')).toBeDefined();
    await resendButton(wrapper).trigger('click');
    expect(fake.callsTo('auth.resendVerification')).toHaveLength(1);
  });

  it('rate-limited without retryAfterSeconds in the data: reads the wait from the message', async () => {
    const { wrapper } = await mountBanner(() => {
      throw new FakeTrpcError('TOO_MANY_REQUESTS', 429, 'Too many emails: try again in 30 seconds', {
        appCode: 'TOO_MANY_REQUESTS',
      });
    });
    await resendButton(wrapper).trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="verify-banner-outcome"]').text()).toBe(
      'Too many emails: try again in 30 seconds',
    );
    expect(resendButton(wrapper).attributes('disabled')).toBeDefined();
  });

  it('already verified meanwhile: says so and reads auth.me again', async () => {
    const { wrapper, fake } = await mountBanner(() => ({ sent: false }));
    await resendButton(wrapper).trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="verify-banner-outcome"]').text()).toBe(
      'Your email address is already verified.',
    );
    expect(fake.callsTo('auth.me')).toHaveLength(1);
  });
});

describe('the signed-in layout', () => {
  afterEach(() => {
    stopNotificationPolling();
    document.body.innerHTML = '';
  });

  function mountLayout(emailVerified: boolean) {
    return mountWithApp(SignedInLayout, {
      handlers: {
        'auth.me': () => meFixture({ emailVerified }),
        'accounts.list': () => [accountFixture()],
        'billing.subscription': () => overviewFixture('FREE'),
        'notifications.list': () => ({ items: [], unreadCount: 0, nextCursor: null }),
      },
    });
  }

  it('shows the banner while the address is unverified', async () => {
    const { wrapper } = await mountLayout(false);
    expect(wrapper.find('[data-testid="verify-email-banner"]').exists()).toBe(true);
  });

  it('shows no banner once it is verified', async () => {
    const { wrapper } = await mountLayout(true);
    expect(wrapper.find('[data-testid="verify-email-banner"]').exists()).toBe(false);
  });
});
