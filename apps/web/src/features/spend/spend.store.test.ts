import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent } from 'vue';
import { ISO, spendFixture, type WireSpend } from '../../test/fixtures';
import { mountWithApp } from '../../test/mount-with-app';
import { useSpendStore } from './spend.store';

const Host = defineComponent({ render: () => null });
const overageOn = (overrides: Partial<WireSpend> = {}) =>
  spendFixture({ overage: { ...spendFixture().overage, enabled: true }, ...overrides });

async function storeWith(spend: WireSpend) {
  const mounted = await mountWithApp(Host, { handlers: { 'billing.spendSettings': () => spend } });
  const store = useSpendStore(mounted.pinia);
  const reads = () => mounted.fake.callsTo('billing.spendSettings').length;
  return { ...mounted, store, reads };
}

describe('spend store', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('asks only for plans that can bill overage, and once', async () => {
    const { store, reads } = await storeWith(overageOn());
    await store.ensureLoadedFor('FREE');
    await store.ensureLoadedFor('TRIAL');
    expect(reads()).toBe(0);
    await Promise.all([store.ensureLoadedFor('BASIC'), store.ensureLoadedFor('BASIC')]);
    await store.ensureLoadedFor('PRO');
    expect(reads()).toBe(1);
  });

  it('counts the overage runs the cap still allows (Infinity without a cap, null with overage off)', async () => {
    const capped = await storeWith(
      overageOn({ effectiveCap: { runs: 2, setBy: 'account' }, overageRuns: 1 }),
    );
    await capped.store.load();
    expect(capped.store.overageHeadroom).toBe(1);

    const open = await storeWith(overageOn());
    await open.store.load();
    expect(open.store.overageHeadroom).toBe(Number.POSITIVE_INFINITY);

    const off = await storeWith(spendFixture({ effectiveCap: { runs: 2, setBy: 'account' } }));
    await off.store.load();
    expect(off.store.overageHeadroom).toBeNull();
  });

  it('reads the spend again after a run that left nothing in the plan or credits, with overage on', async () => {
    const { store, reads } = await storeWith(overageOn());
    await store.load();
    const usage = { used: 100, limit: 100, remaining: 0, resetsAt: ISO(21) };

    store.noteRun({ ...usage, used: 99 });
    store.noteRun({ ...usage, credits: 5 });
    await flushPromises();
    expect(reads()).toBe(1);

    store.noteRun({ ...usage, credits: 0 });
    await flushPromises();
    expect(reads()).toBe(2);
  });

  it('with overage off a run never costs a request', async () => {
    const { store, reads } = await storeWith(spendFixture());
    await store.load();
    store.noteRun({ used: 100, limit: 100, remaining: 0, resetsAt: ISO(21) });
    await flushPromises();
    expect(reads()).toBe(1);
  });

  describe('a save while an earlier read is still under way', () => {
    /** The server's settings follow each save; its second read (the settings page's visit) is slow. */
    async function storeWithSlowSecondRead() {
      let server = spendFixture();
      let answerSlowRead: (() => void) | null = null;
      const mounted = await mountWithApp(Host, {
        handlers: {
          'billing.spendSettings': () => {
            const snapshot = server;
            if (mounted.fake.callsTo('billing.spendSettings').length !== 2) return snapshot;
            return new Promise((resolve) => (answerSlowRead = () => resolve(snapshot)));
          },
          'billing.updateSpendSettings': (input) => {
            const { overageEnabled } = input as { overageEnabled: boolean };
            server = { ...server, overage: { ...server.overage, enabled: overageEnabled } };
            return server;
          },
        },
      });
      const store = useSpendStore(mounted.pinia);
      const reads = () => mounted.fake.callsTo('billing.spendSettings').length;
      const answer = () => (answerSlowRead as (() => void) | null)?.();
      return { store, reads, answer };
    }

    it('keeps showing the saved setting when the earlier read answers after it', async () => {
      const { store, answer } = await storeWithSlowSecondRead();
      await store.load();
      const readBeforeSave = store.load();
      expect(await store.save('overage', { overageEnabled: true })).toBe(true);

      answer();
      await readBeforeSave;
      await flushPromises();
      expect(store.lastSaved).toBe('overage');
      expect(store.overview?.overage.enabled).toBe(true);
    });

    it('reads afresh after the save instead of joining the earlier read', async () => {
      const { store, reads, answer } = await storeWithSlowSecondRead();
      await store.load();
      void store.load();
      await store.save('overage', { overageEnabled: true });

      const readAfterSave = store.load();
      answer();
      await readAfterSave;
      expect(reads()).toBe(3);
      expect(store.overview?.overage.enabled).toBe(true);
    });
  });
});
