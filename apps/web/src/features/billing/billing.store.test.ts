import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent } from 'vue';
import { ISO, overviewFixture, withUsage, type WireOverview } from '../../test/fixtures';
import { mountWithApp } from '../../test/mount-with-app';
import { storeWithSlowSecondRead } from '../../test/slow-second-read';
import { useBillingStore } from './billing.store';

const Host = defineComponent({ render: () => null });
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/** The store with a second `billing.subscription` read under way that answers late (see storeWithSlowSecondRead). */
async function slowSecondRead(initial: WireOverview) {
  const { store, ...rest } = await storeWithSlowSecondRead('billing.subscription', initial, useBillingStore);
  return { billing: store, ...rest };
}

describe('billing store', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('shows the trial once started, even when an overview read from before it answers later', async () => {
    let server: WireOverview = withUsage(overviewFixture('FREE'), 10);
    let answerSlowRead: (() => void) | null = null;
    const { pinia, fake } = await mountWithApp(Host, {
      handlers: {
        'billing.subscription': () => {
          const snapshot = server;
          // The second read (the one a refused run starts) is slow: it answers the plan it read.
          if (fake.callsTo('billing.subscription').length !== 2) return snapshot;
          return new Promise((resolve) => (answerSlowRead = () => resolve(snapshot)));
        },
        'billing.activateTrial': () => {
          server = overviewFixture('TRIAL', {
            trial: { isEligible: false, startedAt: ISO(0), endsAt: ISO(14), daysLeft: 14 },
          });
          return server;
        },
      },
    });
    const billing = useBillingStore(pinia);
    await billing.load();
    const readBeforeTrial = billing.load();

    const trial = billing.activateTrial();
    await settle();
    (answerSlowRead as (() => void) | null)?.();
    await Promise.all([trial, readBeforeTrial]);
    await flushPromises();

    expect(billing.pendingAction).toBeNull();
    expect(billing.overview?.plan).toBe('TRIAL');
    expect(billing.status).toBe('ready');
  });

  describe('an overview read from before newer state, answering after it', () => {
    it('keeps showing the plan a poll found after Checkout', async () => {
      const { billing, state, answerSlowRead } = await slowSecondRead(overviewFixture('FREE'));
      state.server = overviewFixture('PRO');
      expect(await billing.pollUntil((next) => next.plan === 'PRO', { attempts: 1 })).toBe(true);

      await answerSlowRead();
      expect(billing.overview?.plan).toBe('PRO');
      expect(billing.status).toBe('ready');
    });

    it("keeps the run's count on the meter", async () => {
      const { billing, state, answerSlowRead } = await slowSecondRead(withUsage(overviewFixture('FREE'), 3));
      state.server = withUsage(state.server, 4);
      billing.applyUsage({ used: 4, limit: 10, remaining: 6, resetsAt: ISO(21) });
      expect(billing.overview?.usage.used).toBe(4);

      await answerSlowRead();
      expect(billing.overview?.usage.used).toBe(4);
      expect(billing.status).toBe('ready');
    });
  });
});
