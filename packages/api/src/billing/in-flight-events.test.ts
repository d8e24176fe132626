import { describe, expect, it } from 'vitest';
import { createInFlightEvents } from './in-flight-events';

/** A promise and the hands that settle it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const DUPLICATE = 'duplicate';

/** A delivery of `evt_1` to `events`, doing `work` unless it turns out a duplicate. */
const copyOf =
  (events: ReturnType<typeof createInFlightEvents>, eventId = 'evt_1') =>
  (work: () => Promise<string>) =>
    events.once(eventId, work, () => DUPLICATE);

describe('in-flight events: copies of one event wait for the first', () => {
  it('a copy arriving while the first runs waits, then is a duplicate that did no work', async () => {
    const events = createInFlightEvents();
    const deliver = copyOf(events);
    const first = deferred<string>();
    let runs = 0;
    const work = () => {
      runs += 1;
      return first.promise;
    };
    const answers = [deliver(work), deliver(work), deliver(work)];
    first.resolve('processed');
    expect(await Promise.all(answers)).toEqual(['processed', DUPLICATE, DUPLICATE]);
    expect(runs).toBe(1);
    expect(events.size()).toBe(0);
  });

  it('when the first throws, every waiting copy runs its own work', async () => {
    const events = createInFlightEvents();
    const deliver = copyOf(events);
    const first = deferred<string>();
    const answers = [
      deliver(() => first.promise),
      deliver(async () => 'second ran'),
      deliver(async () => 'third ran'),
    ];
    first.reject(new Error('Stripe timed out'));
    const settled = await Promise.allSettled(answers);
    expect(settled[0]).toMatchObject({ status: 'rejected', reason: { message: 'Stripe timed out' } });
    expect(settled.slice(1)).toEqual([
      { status: 'fulfilled', value: 'second ran' },
      { status: 'fulfilled', value: 'third ran' },
    ]);
    expect(events.size()).toBe(0);
  });

  it('after a thrown first, the copies that ran keep waiting copies in line until the last of them ends', async () => {
    const events = createInFlightEvents();
    const deliver = copyOf(events);
    const first = deferred<string>();
    const third = deferred<string>();
    const answers = [
      deliver(() => first.promise),
      deliver(async () => 'second ran'),
      deliver(() => third.promise),
    ];
    first.reject(new Error('Stripe timed out'));
    expect(await answers[1]).toBe('second ran');
    // The second ended while the third still runs: a new copy waits for the third.
    expect(events.size()).toBe(1);
    const fourth = deliver(async () => 'fourth ran');
    third.resolve('third ran');
    expect(await fourth).toBe(DUPLICATE);
    expect(await answers[2]).toBe('third ran');
    await expect(answers[0]).rejects.toThrow('Stripe timed out');
    expect(events.size()).toBe(0);
  });

  it('other events never wait, and a copy after the first settled runs (the database dedupes it)', async () => {
    const events = createInFlightEvents();
    const deliver = copyOf(events);
    const slow = deferred<string>();
    const pending = deliver(() => slow.promise);
    expect(await copyOf(events, 'evt_other')(async () => 'other')).toBe('other');
    expect(events.size()).toBe(1);
    slow.resolve('processed');
    await pending;
    expect(await deliver(async () => 'ran again')).toBe('ran again');
    expect(events.size()).toBe(0);
  });
});
