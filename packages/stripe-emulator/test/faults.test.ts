import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorControl } from '../src';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';

let h: Harness;
/** Like Tollgate's client: retries 5xx and lost connections (with the same idempotency key). */
let retrying: Stripe;

beforeAll(async () => {
  h = await startHarness();
  retrying = new Stripe('sk_test_retrying', {
    host: '127.0.0.1',
    port: h.emulator.port,
    protocol: 'http',
    maxNetworkRetries: 2,
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.emulator.faults.clear();
});

async function outcomes(calls: number, call: () => Promise<unknown>): Promise<string> {
  let pattern = '';
  for (let i = 0; i < calls; i += 1) {
    pattern += await call().then(
      () => '.',
      () => 'x',
    );
  }
  return pattern;
}

describe('fault injection (per method + path pattern)', () => {
  it('fails a seeded share of the calls, the same ones for the same seed', async () => {
    const customer = await h.stripe.customers.create({ email: 'rate@example.com' });
    const rule = {
      method: 'GET',
      path: '/v1/customers/:id',
      status: 500,
      rate: 0.5,
      seed: 42,
      shouldRetry: false,
    };
    const first = h.emulator.faults.set(rule);
    const run1 = await outcomes(40, () => h.stripe.customers.retrieve(customer.id));
    h.emulator.faults.clear();
    h.emulator.faults.set(rule);
    const run2 = await outcomes(40, () => h.stripe.customers.retrieve(customer.id));

    expect(run2).toBe(run1);
    const failed = [...run1].filter((c) => c === 'x').length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
    expect(first).toMatchObject({ matched: 0, hits: 0, rule: { method: 'GET', rate: 0.5 } });
    expect(h.emulator.faults.list()).toEqual([expect.objectContaining({ matched: 40, hits: failed })]);
    // Other paths and methods are not touched.
    expect((await h.stripe.customers.list({ limit: 1 })).data).toHaveLength(1);
    expect((await h.stripe.customers.update(customer.id, { name: 'n' })).name).toBe('n');
  });

  it('answers 429 with Retry-After as a rate-limit error, and changes nothing', async () => {
    const customer = await h.stripe.customers.create({ name: 'before' });
    h.emulator.faults.set({ method: 'POST', path: '/v1/customers/*', status: 429, retryAfterSeconds: 7 });
    const error = await retrying.customers.update(customer.id, { name: 'after' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(error).toMatchObject({ statusCode: 429, code: 'rate_limit' });
    expect((error as Stripe.errors.StripeError).headers?.['retry-after']).toBe('7');
    h.emulator.faults.clear();
    expect((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({
      name: 'before',
    });
  });

  it('answers 402 as a card error with a decline code', async () => {
    h.emulator.faults.set({
      method: 'post',
      path: '/v1/customers',
      status: 402,
      declineCode: 'insufficient_funds',
    });
    const error = await h.stripe.customers.create({ email: 'card@example.com' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'insufficient_funds',
    });
    h.emulator.faults.clear();
    const found = await h.stripe.customers.list({ email: 'card@example.com' });
    expect(found.data).toEqual([]);
  });

  it('a 500 without Stripe-Should-Retry is retried by the SDK, like Stripe; `times` ends the fault', async () => {
    const customer = await h.stripe.customers.create({});
    h.emulator.faults.set({ method: 'GET', path: `/v1/customers/${customer.id}`, status: 503, times: 2 });
    expect((await retrying.customers.retrieve(customer.id)).id).toBe(customer.id);
    expect(h.emulator.faults.list()).toEqual([]);
  });

  it('adds latency to the matching calls only', async () => {
    const customer = await h.stripe.customers.create({});
    // A second of latency, so an unfaulted call on a loaded machine (a GC pause, a busy core) stays
    // well apart from a faulted one.
    h.emulator.faults.set({ method: '*', path: '/v1/customers/:id', latencyMs: 1_000 });
    let started = performance.now();
    expect((await h.stripe.customers.retrieve(customer.id)).id).toBe(customer.id);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    started = performance.now();
    await h.stripe.customers.list({ limit: 1 });
    expect(performance.now() - started).toBeLessThan(700);
  });

  it('drops the response after the call ran: the SDK retry with the same key gets the stored answer', async () => {
    const email = `dropped-once-${Date.now()}@example.com`;
    h.emulator.faults.set({ method: 'POST', path: '/v1/customers', dropResponse: true, times: 1 });
    const created = await retrying.customers.create({ email });
    expect(created.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await h.stripe.customers.list({ email })).data.map(({ id }) => id)).toEqual([created.id]);
  });

  it('drops every response: the client sees a connection error although the effect happened', async () => {
    const email = `dropped-always-${Date.now()}@example.com`;
    h.emulator.faults.set({ method: 'POST', path: '/v1/customers', dropResponse: true });
    const error = await retrying.customers.create({ email }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    h.emulator.faults.clear();
    expect((await h.stripe.customers.list({ email })).data).toHaveLength(1);
  });

  it('combines rules on the same path: each gets its chance in order, the first that fires decides', async () => {
    const failing = { method: 'POST', path: '/v1/customers', status: 500, rate: 0.2, seed: 3 };
    const dropping = { method: 'POST', path: '/v1/customers', dropResponse: true, rate: 0.5, seed: 5 };
    // Plain HTTP, no SDK: stripe-node retries a dropped connection by itself, which would hide drops.
    const create = (email: string) =>
      fetch(`${h.emulator.url}/v1/customers`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer sk_test_combined',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ email }).toString(),
      }).then(
        (response) => (response.status === 200 ? '.' : response.status === 500 ? 'x' : '?'),
        () => 'd',
      );
    const run = async (tag: string) => {
      h.emulator.faults.clear();
      h.emulator.faults.set(failing);
      h.emulator.faults.set(dropping);
      let pattern = '';
      for (let i = 0; i < 60; i += 1) pattern += await create(`combined-${tag}-${i}@example.com`);
      return pattern;
    };
    const pattern = await run('a');
    const failed = [...pattern].filter((c) => c === 'x').length;
    const dropped = [...pattern].filter((c) => c === 'd').length;
    // Both faults are active at once: some calls fail, some lose their answer, the rest pass.
    expect(failed).toBeGreaterThan(3);
    expect(dropped).toBeGreaterThan(8);
    expect(pattern).toMatch(/^[.xd]+$/);
    expect(pattern).toContain('.');
    // The drop rule only sees the calls the failing rule let through.
    expect(h.emulator.faults.list().map(({ matched, hits }) => ({ matched, hits }))).toEqual([
      { matched: 60, hits: failed },
      { matched: 60 - failed, hits: dropped },
    ]);
    // A failed call changed nothing; a dropped one happened.
    for (const [i, outcome] of [...pattern].entries()) {
      const found = await h.stripe.customers.list({ email: `combined-a-${i}@example.com` });
      expect(found.data.length, `call ${i} (${outcome})`).toBe(outcome === 'x' ? 0 : 1);
    }
    // Each rule draws from its own seeded PRNG: the same rules give the same calls the same fate.
    expect(await run('b')).toBe(pattern);
  });

  it('adds a latency rule to an error rule on the same path: the call is slow and then fails', async () => {
    h.emulator.faults.set({ method: 'GET', path: '/v1/customers', latencyMs: 200 });
    h.emulator.faults.set({ method: 'GET', path: '/v1/customers', status: 503, shouldRetry: false });
    const started = performance.now();
    await expect(h.stripe.customers.list({ limit: 1 })).rejects.toMatchObject({ statusCode: 503 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(h.emulator.faults.list().map(({ matched, hits }) => [matched, hits])).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });

  it('has a control route for other processes', async () => {
    const control = emulatorControl(h.emulator.url);
    const fault = await control.setFault({
      method: 'GET',
      path: '/v1/customers',
      status: 500,
      shouldRetry: false,
    });
    expect(await control.faults()).toEqual([expect.objectContaining({ id: fault.id, hits: 0 })]);
    await expect(h.stripe.customers.list()).rejects.toMatchObject({ statusCode: 500 });
    expect(await control.faults()).toEqual([expect.objectContaining({ id: fault.id, matched: 1, hits: 1 })]);
    await control.removeFault(fault.id);
    expect(await control.faults()).toEqual([]);
    await control.setFault({ method: 'GET', path: '/v1/customers', latencyMs: 10 });
    await control.clearFaults();
    expect(h.emulator.faults.list()).toEqual([]);
  });

  it('refuses malformed rules', async () => {
    const post = (body: unknown) =>
      fetch(`${h.emulator.url}/_emulator/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const body of [
      {},
      { method: 'GET' },
      { method: 'GET', path: '/not-the-api', status: 500 },
      { method: 'GET', path: '/v1/customers' },
      { method: 'GET', path: '/v1/customers', status: 200 },
      { method: 'GET', path: '/v1/customers', status: 500, rate: 2 },
      { method: 'GET', path: '/v1/customers', latencyMs: -1 },
      { method: 'GET', path: '/v1/customers', status: 500, dropResponse: true },
      { method: 'GET', path: '/v1/customers', status: '500' },
      { method: 'GET', path: '/v1/customers', dropResponse: 'yes' },
      { method: 'G E T', path: '/v1/customers', status: 500 },
    ]) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect(h.emulator.faults.list()).toEqual([]);
    const missing = await fetch(`${h.emulator.url}/_emulator/faults/fault_nope`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
  });
});
