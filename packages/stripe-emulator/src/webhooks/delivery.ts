import { newId } from '../ids';
import { seededRandom, shuffleInPlace } from './seeded-random';
import { signatureHeader } from './signing';

export type DeliveryState = 'held' | 'queued' | 'sending' | 'retrying' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: string;
  eventId: string;
  type: string;
  endpointId: string;
  url: string;
  attempts: number;
  /** HTTP status of the last attempt; null when it never got a response (refused, timeout). */
  lastStatus: number | null;
  lastError: string | null;
  state: DeliveryState;
  /** The second copy sent in duplicate mode. */
  isDuplicate: boolean;
  createdAt: string;
  lastAttemptAt: string | null;
}

export interface WebhookMode {
  duplicate: boolean;
  shuffle: boolean;
  seed: number;
}

export interface DeliveryTarget {
  id: string;
  url: string;
  secret: string;
}

export interface DeliveryOptions {
  retryDelaysMs: number[];
  timeoutMs: number;
  resolveTarget(endpointId: string): DeliveryTarget | undefined;
}

export interface WebhookDelivery {
  enqueue(event: { id: string; type: string }, payload: string, targets: DeliveryTarget[]): void;
  setMode(mode: Partial<WebhookMode>): void;
  mode(): WebhookMode;
  drain(): Promise<void>;
  log(): DeliveryRecord[];
  pause(): void;
  resume(): void;
  close(): void;
}

/**
 * At-least-once delivery. One worker sends queued deliveries in order; a non-2xx answer or a timeout
 * schedules a retry after the next backoff delay (the queue keeps moving meanwhile), and a delivery
 * that runs out of delays is marked failed. Duplicate mode queues every event twice; shuffle mode holds
 * new deliveries until drain() releases them in a seeded random order.
 */
export function createWebhookDelivery(options: DeliveryOptions): WebhookDelivery {
  const records = new Map<string, DeliveryRecord>();
  const payloads = new Map<string, string>();
  const queue: string[] = [];
  let held: string[] = [];
  const retryTimers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<AbortController>();
  let idleWaiters: (() => void)[] = [];
  let currentMode: WebhookMode = { duplicate: false, shuffle: false, seed: 1 };
  let random = seededRandom(currentMode.seed);
  let isPaused = false;
  let isRunning = false;
  let isClosed = false;

  const isIdle = (): boolean => queue.length === 0 && !isRunning && retryTimers.size === 0;

  function notifyIfIdle(): void {
    if (!isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async function pump(): Promise<void> {
    if (isRunning || isPaused || isClosed) return;
    isRunning = true;
    try {
      for (let id = queue.shift(); id !== undefined; id = isPaused ? undefined : queue.shift()) {
        await attempt(id);
      }
    } finally {
      isRunning = false;
      notifyIfIdle();
    }
  }

  async function attempt(id: string): Promise<void> {
    const record = records.get(id);
    const payload = payloads.get(id);
    if (!record || payload === undefined) return;
    const target = options.resolveTarget(record.endpointId);
    if (!target) {
      record.state = 'failed';
      record.lastError = 'webhook endpoint was deleted';
      return;
    }
    record.state = 'sending';
    record.attempts += 1;
    record.lastAttemptAt = new Date().toISOString();
    const controller = new AbortController();
    inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          // signed at send time with real time: constructEvent checks it against the receiver's clock
          'stripe-signature': signatureHeader(payload, target.secret, Math.floor(Date.now() / 1000)),
        },
        body: payload,
        signal: controller.signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      record.lastStatus = response.status;
      record.lastError = response.ok ? null : `HTTP ${response.status}`;
      if (response.ok) record.state = 'delivered';
      else scheduleRetry(record);
    } catch (error) {
      record.lastStatus = null;
      record.lastError = controller.signal.aborted
        ? `timed out after ${options.timeoutMs} ms`
        : String(error);
      scheduleRetry(record);
    } finally {
      clearTimeout(timer);
      inFlight.delete(controller);
    }
  }

  function scheduleRetry(record: DeliveryRecord): void {
    const delay = options.retryDelaysMs[record.attempts - 1];
    if (delay === undefined || isClosed) {
      record.state = 'failed';
      return;
    }
    record.state = 'retrying';
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      record.state = 'queued';
      queue.push(record.id);
      void pump();
    }, delay);
    retryTimers.add(timer);
  }

  function addRecord(
    event: { id: string; type: string },
    payload: string,
    target: DeliveryTarget,
    isDuplicate: boolean,
  ): string {
    const record: DeliveryRecord = {
      id: newId('whdel'),
      eventId: event.id,
      type: event.type,
      endpointId: target.id,
      url: target.url,
      attempts: 0,
      lastStatus: null,
      lastError: null,
      state: currentMode.shuffle ? 'held' : 'queued',
      isDuplicate,
      createdAt: new Date().toISOString(),
      lastAttemptAt: null,
    };
    records.set(record.id, record);
    payloads.set(record.id, payload);
    return record.id;
  }

  function release(): void {
    const ids = held;
    held = [];
    for (const id of shuffleInPlace(ids, random)) {
      const record = records.get(id);
      if (record) record.state = 'queued';
      queue.push(id);
    }
  }

  return {
    enqueue(event, payload, targets) {
      for (const target of targets) {
        const ids = [addRecord(event, payload, target, false)];
        if (currentMode.duplicate) ids.push(addRecord(event, payload, target, true));
        if (currentMode.shuffle) held.push(...ids);
        else queue.push(...ids);
      }
      void pump();
    },
    setMode(mode) {
      currentMode = { ...currentMode, ...mode };
      if (mode.seed !== undefined) random = seededRandom(mode.seed);
      // leaving shuffle mode sends what was held, in a shuffled order (it was collected for that)
      if (!currentMode.shuffle && held.length > 0) {
        release();
        void pump();
      }
    },
    mode: () => ({ ...currentMode }),
    drain() {
      isPaused = false;
      release();
      const done = new Promise<void>((resolve) => idleWaiters.push(resolve));
      void pump();
      notifyIfIdle();
      return done;
    },
    log: () => [...records.values()].map((record) => ({ ...record })),
    pause() {
      isPaused = true;
    },
    resume() {
      isPaused = false;
      void pump();
    },
    close() {
      isClosed = true;
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
      for (const controller of inFlight) controller.abort();
      queue.length = 0;
      notifyIfIdle();
    },
  };
}
