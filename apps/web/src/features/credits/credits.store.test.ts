import { afterEach, describe, expect, it } from 'vitest';
import { balanceFixture, grantFixture, type WireBalance } from '../../test/fixtures';
import { storeWithSlowSecondRead } from '../../test/slow-second-read';
import { useCreditsStore } from './credits.store';

const pack = (remaining: number, id = 'grant-1') => grantFixture({ id, remaining });

/** The store with a second `usage.balance` read under way that answers late (see storeWithSlowSecondRead). */
async function slowSecondRead(initial: WireBalance) {
  const { store, ...rest } = await storeWithSlowSecondRead('usage.balance', initial, useCreditsStore);
  return { credits: store, ...rest };
}

describe('credits store: a balance read from before newer state, answering after it', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('keeps showing the pack a poll found after its Checkout', async () => {
    const { credits, state, answerSlowRead } = await slowSecondRead(balanceFixture('FREE'));
    state.server = balanceFixture('FREE', 0, [pack(100)]);
    expect(await credits.pollUntil((next) => next.grants.length > 0, { attempts: 1 })).toBe(true);

    await answerSlowRead();
    expect(credits.creditsRemaining).toBe(100);
    expect(credits.balance?.grants).toHaveLength(1);
    expect(credits.status).toBe('ready');
  });

  it('keeps the runs left in packs that a run answered', async () => {
    const { credits, state, answerSlowRead } = await slowSecondRead(balanceFixture('FREE', 10, [pack(5)]));
    state.server = balanceFixture('FREE', 10, [pack(4)]);
    credits.applyRunCredits(4);
    expect(credits.creditsRemaining).toBe(4);

    await answerSlowRead();
    expect(credits.creditsRemaining).toBe(4);
    expect(credits.status).toBe('ready');
  });
});
