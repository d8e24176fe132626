import { flushPromises } from '@vue/test-utils';
import type { Pinia } from 'pinia';
import { defineComponent } from 'vue';
import { later } from './later';
import { mountWithApp } from './mount-with-app';

const Host = defineComponent({ render: () => null });
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/**
 * A store whose `procedure` read is answered from `state.server` as it was when the read reached the
 * server, the second read (the header's, say) held until `answerSlowRead()`: a read begun before newer
 * state arrives, answering after it. The first read has been answered, the second is under way.
 */
export async function storeWithSlowSecondRead<Wire, Store extends { load(): Promise<void> }>(
  procedure: string,
  initial: Wire,
  useStore: (pinia: Pinia) => Store,
) {
  const state = { server: initial };
  const slowRead = later<void>();
  const mounted = await mountWithApp(Host, {
    handlers: {
      [procedure]: () => {
        const snapshot = state.server;
        if (mounted.fake.callsTo(procedure).length !== 2) return snapshot;
        return slowRead.promise.then(() => snapshot);
      },
    },
  });
  const store = useStore(mounted.pinia);
  await store.load();
  const readBefore = store.load();
  await settle();
  const answerSlowRead = async () => {
    slowRead.answer();
    await readBefore;
    await settle();
    await flushPromises();
  };
  return { store, state, answerSlowRead };
}
