import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError, type FakeHandler } from '../../../test/fake-trpc';
import { ISO, overviewFixture, runAnswerFixture } from '../../../test/fixtures';
import { later } from '../../../test/later';
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

function runAnswer(input: unknown) {
  const { id, runId, message } = input as { id: string; runId: string; message: string };
  return runAnswerFixture({ sessionId: id, runId, message, reply: `Done for ${TITLES[id]}` });
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

  it('shows the reply when the user went back to the session while its run was under way', async () => {
    const runOfA = later();
    const secondReadOfA = later();
    let runInput: unknown = null;
    let readsOfA = 0;
    const { wrapper } = await mountOnA({
      'sessions.run': (input) => {
        runInput = input;
        return runOfA.promise;
      },
      'sessions.get': (input) => {
        const { id } = input as { id: string };
        if (id !== A) return sessionOf(id);
        readsOfA += 1;
        // Back on A, its read reaches the server before the run is done, and answers after it.
        if (readsOfA === 2) return secondReadOfA.promise;
        return readsOfA === 1 ? sessionOf(A) : { ...sessionOf(A), runs: [runAnswer(runInput).run] };
      },
    });
    await send(wrapper, 'Task for A');
    await openB(wrapper);
    await wrapper.setProps({ id: A } as never);
    await settle();

    runOfA.answer(runAnswer(runInput));
    await settle();
    secondReadOfA.answer(sessionOf(A));
    await settle();
    await flushPromises();
    expect(wrapper.get('h1').text()).toBe('Session A');
    expect(wrapper.text()).toContain('Done for Session A');
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

describe("Session view, while the previous session's run is under way", () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  const sendButton = (wrapper: Wrapper) => wrapper.get('button[type="submit"]');
  const runsTo = (fake: Awaited<ReturnType<typeof mountOnA>>['fake']) =>
    fake.callsTo('sessions.run').map((call) => (call.input as { id: string }).id);

  it("lets the user send on the session now open, and keeps that session's send busy until its own answer", async () => {
    const runOfA = later();
    const runOfB = later();
    const { wrapper, fake } = await mountOnA({
      'sessions.run': (input) => ((input as { id: string }).id === A ? runOfA.promise : runOfB.promise),
    });
    await send(wrapper, 'Task for A');
    await openB(wrapper);

    await wrapper.get('textarea').setValue('Task for B');
    expect(sendButton(wrapper).attributes('disabled')).toBeUndefined();
    await wrapper.get('form').trigger('submit');
    await settle();
    expect(runsTo(fake)).toEqual([A, B]);

    runOfA.answer(runAnswer(fake.callsTo('sessions.run')[0]?.input));
    await settle();
    await flushPromises();
    expect(sendButton(wrapper).text()).toBe('Sending…');

    runOfB.answer(runAnswer(fake.callsTo('sessions.run')[1]?.input));
    await settle();
    await flushPromises();
    expect(wrapper.text()).toContain('Done for Session B');
    expect(sendButton(wrapper).text()).toBe('Send');
  });

  it("keeps what the user typed on the session now open when the previous one's run is accepted", async () => {
    const runOfA = later();
    const { wrapper, fake } = await mountOnA({ 'sessions.run': () => runOfA.promise });
    await send(wrapper, 'Task for A');
    await openB(wrapper);
    await wrapper.get('textarea').setValue('Draft for B');

    runOfA.answer(runAnswer(fake.callsTo('sessions.run')[0]?.input));
    await settle();
    await flushPromises();
    expect((wrapper.get('textarea').element as HTMLTextAreaElement).value).toBe('Draft for B');
  });

  it("resends the open session's unanswered message as the same run after the previous one's run is accepted", async () => {
    const runOfA = later();
    let isBDown = true;
    const { wrapper, fake } = await mountOnA({
      'sessions.run': (input) => {
        if ((input as { id: string }).id === A) return runOfA.promise;
        if (isBDown) throw new Error('socket hang up');
        return runAnswer(input);
      },
    });
    await send(wrapper, 'Task for A');
    await openB(wrapper);
    await send(wrapper, 'Task for B');
    expect(wrapper.get('[role="alert"]').text()).toContain("Can't reach Tollgate");

    runOfA.answer(runAnswer(fake.callsTo('sessions.run')[0]?.input));
    await settle();
    isBDown = false;
    await send(wrapper, 'Task for B');
    const [, firstOfB, secondOfB] = fake
      .callsTo('sessions.run')
      .map((call) => (call.input as { runId: string }).runId);
    expect(secondOfB).toBe(firstOfB);
    expect(wrapper.text()).toContain('Done for Session B');
  });
});
