import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError, type FakeHandler } from '../../../test/fake-trpc';
import { ISO, overviewFixture } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import SessionView from './session-view.vue';

const A = '6f1c8e1e-8a57-4a4e-9d0c-2f6a4d1d9b10';
const B = '7f1c8e1e-8a57-4a4e-9d0c-2f6a4d1d9b11';
const TITLES: Record<string, string> = { [A]: 'Session A', [B]: 'Session B' };
const sessionOf = (id: string) => ({
  id,
  userId: 'u1',
  title: TITLES[id],
  createdAt: ISO(-1),
  updatedAt: ISO(-1),
  runs: [],
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/** A server answer the test hands out when it chooses: the slow request. */
function later() {
  let answer!: (value: unknown) => void;
  let refuse!: (error: unknown) => void;
  const promise = new Promise((resolve, reject) => {
    answer = resolve;
    refuse = reject;
  });
  return { promise, answer, refuse };
}

function runAnswer(input: unknown) {
  const { id, runId, message } = input as { id: string; runId: string; message: string };
  return {
    run: {
      id: 'r1',
      runId,
      sessionId: id,
      userId: 'u1',
      prompt: message,
      reply: `Done for ${TITLES[id]}`,
      status: 'completed',
      createdAt: ISO(0),
      finishedAt: ISO(0),
    },
    usage: {
      runId,
      isReplay: false,
      plan: 'FREE',
      status: 'active',
      used: 1,
      limit: 10,
      remaining: 9,
      resetsAt: ISO(21),
    },
  };
}

/** Session A is open; `handlers` replace the defaults (each session answers at once). */
function mountOnA(handlers: Record<string, FakeHandler> = {}) {
  return mountWithApp(SessionView, {
    path: `/sessions/${A}`,
    props: { id: A },
    handlers: {
      'sessions.get': (input) => sessionOf((input as { id: string }).id),
      'billing.subscription': () => overviewFixture('FREE'),
      ...handlers,
    },
  });
}

type Wrapper = Awaited<ReturnType<typeof mountOnA>>['wrapper'];

async function send(wrapper: Wrapper, message: string) {
  await wrapper.get('textarea').setValue(message);
  await wrapper.get('form').trigger('submit');
  await settle();
}

async function openB(wrapper: Wrapper) {
  await wrapper.setProps({ id: B } as never);
  await settle();
  expect(wrapper.get('h1').text()).toBe('Session B');
}

describe('Session view, after the user opened another session', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it("keeps showing the session now open when the previous one's slow answer arrives", async () => {
    const slowA = later();
    let isFirstReadOfA = true;
    const { wrapper } = await mountOnA({
      'sessions.get': (input) => {
        const { id } = input as { id: string };
        if (id !== A || !isFirstReadOfA) return sessionOf(id);
        isFirstReadOfA = false;
        return slowA.promise;
      },
    });
    await openB(wrapper);

    slowA.answer(sessionOf(A));
    await settle();
    await flushPromises();
    expect(wrapper.get('h1').text()).toBe('Session B');
  });

  it("shows the session now open, not the previous one's run reply, and sends the next message there", async () => {
    const runOfA = later();
    const { wrapper, fake } = await mountOnA({
      'sessions.run': (input) => ((input as { id: string }).id === A ? runOfA.promise : runAnswer(input)),
    });
    await send(wrapper, 'Task for A');
    await openB(wrapper);

    runOfA.answer(runAnswer(fake.callsTo('sessions.run')[0]?.input));
    await settle();
    await flushPromises();
    expect(wrapper.get('h1').text()).toBe('Session B');
    expect(wrapper.text()).not.toContain('Done for Session A');

    await send(wrapper, 'Task for B');
    expect(fake.callsTo('sessions.run').map((call) => (call.input as { id: string }).id)).toEqual([A, B]);
  });

  it("doesn't show the previous session's refused run on the session now open", async () => {
    const runOfA = later();
    const { wrapper } = await mountOnA({ 'sessions.run': () => runOfA.promise });
    await send(wrapper, 'Task for A');
    await openB(wrapper);

    runOfA.refuse(
      new FakeTrpcError('PAYMENT_REQUIRED', 402, 'Run limit reached', {
        paymentRequired: {
          code: 'USAGE_LIMIT_REACHED',
          message: 'You have used all 10 runs this month',
          plan: 'FREE',
          status: 'active',
          used: 10,
          limit: 10,
          resetsAt: ISO(21),
          upgradeUrl: 'http://localhost/settings/subscription?upgrade=1',
        },
      }),
    );
    await settle();
    await flushPromises();
    expect(wrapper.get('h1').text()).toBe('Session B');
    expect(wrapper.find('[data-testid="run-denied"]').exists()).toBe(false);
  });
});
