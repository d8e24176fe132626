import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { ISO, overviewFixture, runAnswerFixture, withUsage, type WireOverview } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { formatDate } from '../../../lib/format';
import { useBillingStore } from '../../billing/billing.store';
import SessionView from './session-view.vue';

const SESSION_ID = '6f1c8e1e-8a57-4a4e-9d0c-2f6a4d1d9b10';
const session = { id: SESSION_ID, userId: 'u1', title: 'Research', createdAt: ISO(-1), updatedAt: ISO(-1) };
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

function paymentRequired(code: string, plan: string) {
  return new FakeTrpcError('PAYMENT_REQUIRED', 402, 'Run limit reached for this period', {
    paymentRequired: {
      code,
      message:
        code === 'PAYMENT_PAST_DUE' ? 'Your payment is past due' : 'You have used all 10 runs this month',
      plan,
      status: code === 'PAYMENT_PAST_DUE' ? 'past_due' : 'active',
      used: 10,
      limit: 10,
      resetsAt: ISO(21),
      upgradeUrl: 'http://localhost/settings/subscription?upgrade=1',
    },
  });
}

async function mountSession(
  run: (input: unknown) => unknown,
  overview: () => WireOverview = () => withUsage(overviewFixture('FREE'), 10),
) {
  const mounted = await mountWithApp(SessionView, {
    path: `/sessions/${SESSION_ID}`,
    props: { id: SESSION_ID },
    handlers: {
      'sessions.get': () => ({ ...session, runs: [] }),
      'sessions.run': run,
      'billing.subscription': overview,
    },
  });
  return mounted;
}

const buttonsOf = (notice: { findAll(selector: 'button'): { text(): string }[] }) =>
  notice.findAll('button').map((button) => button.text());

async function send(wrapper: Awaited<ReturnType<typeof mountSession>>['wrapper'], message: string) {
  await wrapper.get('textarea').setValue(message);
  await wrapper.get('form').trigger('submit');
  await settle();
}

describe('Session view', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('sends a message as a run with a fresh run id and shows the reply', async () => {
    const { wrapper, fake } = await mountSession((input) => {
      const { runId, message } = input as { runId: string; message: string };
      return runAnswerFixture({
        sessionId: SESSION_ID,
        runId,
        message,
        reply: 'Done: 3 competitors found',
        used: 4,
      });
    });
    expect(wrapper.text()).toContain('No messages yet.');

    await send(wrapper, 'Find competitors');

    const [call] = fake.callsTo('sessions.run');
    expect(call?.input).toMatchObject({ id: SESSION_ID, message: 'Find competitors' });
    expect((call?.input as { runId: string }).runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(wrapper.get('[data-testid="run-reply"]').text()).toBe('Done: 3 competitors found');
    expect((wrapper.get('textarea').element as HTMLTextAreaElement).value).toBe('');
  });

  it('at the FREE limit leads with one sentence and offers the trial, an upgrade and the reset date', async () => {
    const { wrapper, pinia } = await mountSession(() => {
      throw paymentRequired('USAGE_LIMIT_REACHED', 'FREE');
    });

    await send(wrapper, 'One more task');

    const notice = wrapper.get('[data-testid="run-denied"]');
    expect(notice.attributes('role')).toBe('alert');
    expect(notice.get('.run-denied__title').text()).toBe("You've used all 10 runs of your Free plan.");
    // Said once: neither the server's own sentence nor a second "used all" underneath.
    expect(notice.text().match(/used all/g)).toHaveLength(1);
    expect(notice.text()).not.toContain('You have used all 10 runs this month');
    expect(buttonsOf(notice)).toEqual(['Start free 14-day trial', 'Upgrade plan', 'Dismiss']);
    expect(notice.get('[data-testid="run-denied-wait"]').text()).toBe(
      `Or wait until ${formatDate(ISO(21))}, when your runs reset.`,
    );
    // The message stays in the box, to send again after upgrading.
    expect((wrapper.get('textarea').element as HTMLTextAreaElement).value).toBe('One more task');

    const upgrade = notice.findAll('button').find((button) => button.text() === 'Upgrade plan');
    await upgrade?.trigger('click');
    expect(useBillingStore(pinia).isUpgradeOpen).toBe(true);
  });

  it('starts the trial from the notice, which then steps aside for the message to be sent again', async () => {
    let overview = withUsage(overviewFixture('FREE'), 10);
    const { wrapper, fake } = await mountSession(
      () => {
        throw paymentRequired('USAGE_LIMIT_REACHED', 'FREE');
      },
      () => overview,
    );
    fake.handlers['billing.activateTrial'] = () => {
      overview = overviewFixture('TRIAL', {
        trial: { isEligible: false, startedAt: ISO(0), endsAt: ISO(14), daysLeft: 14 },
      });
      return overview;
    };
    await send(wrapper, 'One more task');

    await wrapper.get('[data-testid="run-denied"] button.button--primary').trigger('click');
    await settle();

    expect(fake.callsTo('billing.activateTrial')).toHaveLength(1);
    expect(wrapper.find('[data-testid="run-denied"]').exists()).toBe(false);
    expect((wrapper.get('textarea').element as HTMLTextAreaElement).value).toBe('One more task');
  });

  it('offers no trial to a user who already had it', async () => {
    const { wrapper } = await mountSession(
      () => {
        throw paymentRequired('USAGE_LIMIT_REACHED', 'FREE');
      },
      () => withUsage(overviewFixture('FREE', { trial: { ...overviewFixture('PRO').trial } }), 10),
    );
    await send(wrapper, 'Task');
    expect(buttonsOf(wrapper.get('[data-testid="run-denied"]'))).toEqual(['Upgrade plan', 'Dismiss']);
  });

  it('on the top plan the reset date is the one way forward', async () => {
    const { wrapper } = await mountSession(
      () => {
        throw paymentRequired('USAGE_LIMIT_REACHED', 'PRO');
      },
      () => withUsage(overviewFixture('PRO'), 1000),
    );
    await send(wrapper, 'Task');
    const notice = wrapper.get('[data-testid="run-denied"]');
    expect(buttonsOf(notice)).toEqual(['Dismiss']);
    expect(notice.get('[data-testid="run-denied-wait"]').text()).toBe(
      `Your runs reset on ${formatDate(ISO(21))}.`,
    );
  });

  it('for a past-due payment offers "Update payment" instead of an upgrade', async () => {
    const { wrapper } = await mountSession(() => {
      throw paymentRequired('PAYMENT_PAST_DUE', 'BASIC');
    });
    await send(wrapper, 'Task');
    const notice = wrapper.get('[data-testid="run-denied"]');
    expect(notice.text()).toContain('Your last payment failed');
    expect(buttonsOf(notice)).toEqual(['Update payment', 'Dismiss']);
  });

  it.each([
    [
      'NO_PLAN',
      'This team account has no paid plan, so it has no runs.',
      'Ask an owner or admin of the team to choose the Team plan.',
    ],
    [
      'MEMBER_CAP_REACHED',
      "You've used all 10 runs of your monthly cap on this team.",
      `Ask an owner or admin to raise your cap, or wait until ${formatDate(ISO(21))}, when your runs reset.`,
    ],
  ])('for %s says why and who can help, with no upgrade or trial', async (code, title, wait) => {
    const { wrapper } = await mountSession(() => {
      throw paymentRequired(code, code === 'NO_PLAN' ? 'FREE' : 'TEAM');
    });
    await send(wrapper, 'Task');
    const notice = wrapper.get('[data-testid="run-denied"]');
    expect(notice.get('.run-denied__title').text()).toBe(title);
    expect(notice.get('[data-testid="run-denied-wait"]').text()).toBe(wait);
    expect(buttonsOf(notice)).toEqual(['Dismiss']);
  });

  it('resends a message that got no answer with the same run id, so it is never charged twice', async () => {
    let isDown = true;
    const { wrapper, fake } = await mountSession((input) => {
      if (isDown) throw new Error('socket hang up');
      const { runId } = input as { runId: string };
      return {
        run: {
          id: 'r1',
          runId,
          sessionId: SESSION_ID,
          userId: 'u1',
          prompt: 'Task',
          reply: 'ok',
          status: 'completed',
          createdAt: ISO(0),
          finishedAt: ISO(0),
        },
        usage: {
          runId,
          isReplay: true,
          plan: 'FREE',
          status: 'active',
          used: 1,
          limit: 10,
          remaining: 9,
          resetsAt: ISO(21),
        },
      };
    });

    await send(wrapper, 'Task');
    expect(wrapper.get('[role="alert"]').text()).toContain("Can't reach Tollgate");

    isDown = false;
    await send(wrapper, 'Task');
    const [first, second] = fake
      .callsTo('sessions.run')
      .map((call) => (call.input as { runId: string }).runId);
    expect(second).toBe(first);
    expect(wrapper.get('[data-testid="run-reply"]').text()).toBe('ok');
  });

  it('a retry answered "still under way" keeps the run id, so the next send is the same run', async () => {
    let isRunning = true;
    const { wrapper, fake } = await mountSession((input) => {
      const { runId } = input as { runId: string };
      if (isRunning) {
        throw new FakeTrpcError('CONFLICT', 409, `Run ${runId} is under way; ask again shortly`, {
          appCode: 'RUN_IN_PROGRESS',
        });
      }
      return {
        run: {
          id: 'r1',
          runId,
          sessionId: SESSION_ID,
          userId: 'u1',
          prompt: 'Task',
          reply: null,
          status: 'unconfirmed',
          createdAt: ISO(0),
          finishedAt: ISO(0),
        },
        usage: {
          runId,
          isReplay: true,
          state: 'started',
          plan: 'FREE',
          status: 'active',
          used: 1,
          limit: 10,
          remaining: 9,
          resetsAt: ISO(21),
        },
      };
    });
    await send(wrapper, 'Task');
    expect(wrapper.get('[role="alert"]').text()).toContain('under way');
    isRunning = false;
    await send(wrapper, 'Task');
    const [first, second] = fake
      .callsTo('sessions.run')
      .map((call) => (call.input as { runId: string }).runId);
    expect(second).toBe(first);
    expect(wrapper.get('[data-testid="run-unconfirmed"]').text()).toContain('did not confirm');
  });
  describe('a server error after the run may have been charged: sending again reuses its run id', () => {
    const CHARGED_FAILURES = [
      {
        name: '502 AGENT_UNCONFIRMED (charged and flagged)',
        error: () =>
          new FakeTrpcError(
            'BAD_GATEWAY',
            502,
            'The agent did not confirm this run. It may still be working; it was charged and flagged for review.',
            { appCode: 'AGENT_UNCONFIRMED' },
          ),
        shown: 'it was charged and flagged',
        reloadsSession: true,
      },
      {
        name: '503 (the database lost after the agent started)',
        error: () => new FakeTrpcError('SERVICE_UNAVAILABLE', 503, 'Database unavailable'),
        shown: 'Something went wrong on our side',
      },
      {
        name: '500',
        error: () => new FakeTrpcError('INTERNAL_SERVER_ERROR', 500, 'Internal error'),
        shown: 'Something went wrong on our side',
      },
    ];
    for (const failure of CHARGED_FAILURES) {
      it(failure.name, async () => {
        let isFailing = true;
        const { wrapper, fake } = await mountSession((input) => {
          const { runId } = input as { runId: string };
          if (isFailing) throw failure.error();
          return {
            run: {
              id: 'r1',
              runId,
              sessionId: SESSION_ID,
              userId: 'u1',
              prompt: 'Task',
              reply: 'ok',
              status: 'completed',
              createdAt: ISO(0),
              finishedAt: ISO(0),
            },
            usage: {
              runId,
              isReplay: true,
              plan: 'FREE',
              status: 'active',
              used: 1,
              limit: 10,
              remaining: 9,
              resetsAt: ISO(21),
            },
          };
        });
        await send(wrapper, 'Task');
        expect(wrapper.get('[role="alert"]').text()).toContain(failure.shown);
        // The flagged run is in the session now: it is read again to show it.
        expect(fake.callsTo('sessions.get')).toHaveLength('reloadsSession' in failure ? 2 : 1);
        isFailing = false;
        await send(wrapper, 'Task');
        const runIds = fake.callsTo('sessions.run').map((call) => (call.input as { runId: string }).runId);
        expect(runIds).toHaveLength(2);
        expect(runIds[1]).toBe(runIds[0]);
      });
    }

    it('but not after AGENT_NOT_STARTED: that run was released, so the next send is a new run', async () => {
      let isFailing = true;
      const { wrapper, fake } = await mountSession(() => {
        if (isFailing) {
          throw new FakeTrpcError(
            'BAD_GATEWAY',
            502,
            'The agent could not start this run. It was not charged.',
            {
              appCode: 'AGENT_NOT_STARTED',
            },
          );
        }
        throw new FakeTrpcError('BAD_REQUEST', 400, 'stop here');
      });
      await send(wrapper, 'Task');
      isFailing = false;
      await send(wrapper, 'Task');
      const runIds = fake.callsTo('sessions.run').map((call) => (call.input as { runId: string }).runId);
      expect(runIds).toHaveLength(2);
      expect(runIds[1]).not.toBe(runIds[0]);
    });
  });
});
