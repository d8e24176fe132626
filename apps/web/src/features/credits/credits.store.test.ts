import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent } from 'vue';
import { balanceFixture, grantFixture, type WireBalance } from '../../test/fixtures';
import { later } from '../../test/later';
import { mountWithApp } from '../../test/mount-with-app';
import { useCreditsStore } from './credits.store';

const Host = defineComponent({ render: () => null });
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
const pack = (remaining: number, id = 'grant-1') => grantFixture({ id, remaining });

describe('credits store: a balance read from before newer state, answering after it', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  /** The server's balance follows `server`; its second read (the header's, say) is slow. */
  async function storeWithSlowSecondRead(initial: WireBalance) {
    const state = { server: initial };
    const slowRead = later<void>();
    const mounted = await mountWithApp(Host, {
      handlers: {
        'usage.balance': () => {
          // Each read answers the balance as it was when the read reached the server.
          const snapshot = state.server;
          if (mounted.fake.callsTo('usage.balance').length !== 2) return snapshot;
          return slowRead.promise.then(() => snapshot);
        },
      },
    });
    const credits = useCreditsStore(mounted.pinia);
    await credits.load();
    const readBefore = credits.load();
    await settle();
    const answerSlowRead = async () => {
      slowRead.answer();
      await readBefore;
      await settle();
      await flushPromises();
    };
    return { credits, state, answerSlowRead };
  }

  it('keeps showing the pack a poll found after its Checkout', async () => {
    const { credits, state, answerSlowRead } = await storeWithSlowSecondRead(balanceFixture('FREE'));
    state.server = balanceFixture('FREE', 0, [pack(100)]);
    expect(await credits.pollUntil((next) => next.grants.length > 0, { attempts: 1 })).toBe(true);

    await answerSlowRead();
    expect(credits.creditsRemaining).toBe(100);
    expect(credits.balance?.grants).toHaveLength(1);
    expect(credits.status).toBe('ready');
  });

  it('keeps the runs left in packs that a run answered', async () => {
    const { credits, state, answerSlowRead } = await storeWithSlowSecondRead(
      balanceFixture('FREE', 10, [pack(5)]),
    );
    state.server = balanceFixture('FREE', 10, [pack(4)]);
    credits.applyRunCredits(4);
    expect(credits.creditsRemaining).toBe(4);

    await answerSlowRead();
    expect(credits.creditsRemaining).toBe(4);
    expect(credits.status).toBe('ready');
  });
});
