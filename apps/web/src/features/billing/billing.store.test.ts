import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent } from 'vue';
import { ISO, overviewFixture, withUsage, type WireOverview } from '../../test/fixtures';
import { mountWithApp } from '../../test/mount-with-app';
import { useBillingStore } from './billing.store';

const Host = defineComponent({ render: () => null });
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

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
});
