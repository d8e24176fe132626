import type { ActiveFault, FaultRule } from './fault-injection';
import type { FailureRule, PendingFailure } from './faults';
import type { DeliveryRecord, WebhookMode } from './webhooks/delivery';

export interface EmulatorControl {
  advanceClock(seconds: number): Promise<{ now: string; nowSeconds: number }>;
  drain(): Promise<DeliveryRecord[]>;
  setMode(mode: Partial<WebhookMode>): Promise<WebhookMode>;
  deliveries(): Promise<DeliveryRecord[]>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  state(): Promise<Record<string, unknown>>;
  failNext(rule: FailureRule): Promise<PendingFailure>;
  clearFailures(): Promise<void>;
  setFault(rule: FaultRule): Promise<ActiveFault>;
  faults(): Promise<ActiveFault[]>;
  removeFault(id: string): Promise<void>;
  clearFaults(): Promise<void>;
}

/** A small fetch client for the emulator's /_emulator control API (for other processes). */
export function emulatorControl(url: string): EmulatorControl {
  const base = url.replace(/\/+$/, '');
  async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${base}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`emulator ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
  return {
    advanceClock: (seconds) => call('POST', '/clock/advance', { seconds }),
    drain: async () => (await call<{ deliveries: DeliveryRecord[] }>('POST', '/webhooks/drain')).deliveries,
    setMode: async (mode) => (await call<{ mode: WebhookMode }>('POST', '/webhooks/mode', mode)).mode,
    deliveries: async () => (await call<{ deliveries: DeliveryRecord[] }>('GET', '/deliveries')).deliveries,
    pause: async () => {
      await call('POST', '/webhooks/pause');
    },
    resume: async () => {
      await call('POST', '/webhooks/resume');
    },
    state: () => call('GET', '/state'),
    failNext: async (rule) => (await call<{ added: PendingFailure }>('POST', '/failures', rule)).added,
    clearFailures: async () => {
      await call('DELETE', '/failures');
    },
    setFault: async (rule) => (await call<{ fault: ActiveFault }>('POST', '/faults', rule)).fault,
    faults: async () => (await call<{ faults: ActiveFault[] }>('GET', '/faults')).faults,
    removeFault: async (id) => {
      await call('DELETE', `/faults/${encodeURIComponent(id)}`);
    },
    clearFaults: async () => {
      await call('DELETE', '/faults');
    },
  };
}
