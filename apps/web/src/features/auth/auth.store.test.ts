import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent } from 'vue';
import { meFixture } from '../../test/fixtures';
import { mountWithApp } from '../../test/mount-with-app';
import { useAuthStore } from './auth.store';

const Host = defineComponent({ render: () => null });

describe('auth store: email verification', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it("an auth.me answer sent before the link was used can't bring the banner back", async () => {
    let answer: (value: unknown) => void = () => undefined;
    const { pinia, fake } = await mountWithApp(Host, {
      handlers: { 'auth.me': () => new Promise((resolve) => (answer = resolve)) },
    });
    const auth = useAuthStore(pinia);
    const stale = auth.loadMe();
    await new Promise((resolve) => setTimeout(resolve, 0));

    auth.noteEmailVerified('ADA@example.com');
    answer(meFixture({ emailVerified: false }));
    await stale;
    expect(auth.emailVerified).toBe(true);

    fake.handlers['auth.me'] = () => meFixture({ emailVerified: true });
    await auth.reloadMe();
    expect(auth.isEmailUnverified).toBe(false);
  });

  it("another address's link changes nothing for the signed-in user", async () => {
    const { pinia } = await mountWithApp(Host, {
      handlers: { 'auth.me': () => meFixture({ emailVerified: false }) },
    });
    const auth = useAuthStore(pinia);
    await auth.ensureMe();
    auth.noteEmailVerified('someone-else@example.com');
    expect(auth.isEmailUnverified).toBe(true);
  });
});
