import { creditGrants, personalAccountId } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { trpc } from '../support/http';
import { eventOf, sendWebhook } from '../support/webhooks';
import { CARDS, Customer } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
  // Every event delivered twice, held until drained and then released in a seeded random order.
  billing.emulator.webhooks.setMode({ duplicate: true, shuffle: true, seed: 20261204 });
});
afterAll(async () => {
  await billing?.stop();
});

async function balanceOf(customer: Customer) {
  const balance = await customer.call('query', 'usage.balance');
  expect(balance.status).toBe(200);
  return balance.data as {
    creditsRemaining: number;
    totalRemaining: number;
    allowance: { used: number; limit: number };
    grants: Array<{
      id: string;
      units: number;
      remaining: number;
      expiresAt: string;
      clawedBackUnits: number;
      clawbackUnits: number;
    }>;
  };
}

async function authorize(customer: Customer, runId: string, estimate?: number) {
  return customer.call('mutation', 'usage.authorize', { runId, ...(estimate ? { estimate } : {}) });
}

/** Every event Stripe (the emulator) has for the account so far, as Stripe would resend them. */
async function allEvents(): Promise<Stripe.Event[]> {
  return billing.stripe.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
}

async function replay(events: readonly Stripe.Event[]) {
  for (const event of events) expect((await sendWebhook(billing, event)).status).toBe(200);
}

async function buyPack(customer: Customer, card: string = CARDS.success) {
  const session = await customer.call('mutation', 'billing.createPackCheckout', { packId: 'PACK_100' });
  expect(session.status).toBe(200);
  const paid = await payCheckout(session.data.url as string, card);
  await customer.settle();
  return { sessionId: session.data.id as string, paid };
}

async function grantRows(customer: Customer) {
  return billing.server.testDb.db
    .select()
    .from(creditGrants)
    .where(eq(creditGrants.accountId, personalAccountId(customer.userId)));
}

describe('run packs through Stripe Checkout in payment mode', () => {
  it('out of runs → the 402 offers packs; a pack paid is credited once, whatever the deliveries', async () => {
    const customer = await Customer.signUp(billing);
    for (let i = 0; i < 10; i += 1) expect((await authorize(customer, `free-${i}`)).status).toBe(200);
    const denied = await authorize(customer, 'free-10');
    expect(denied.status).toBe(402);
    expect(denied.error?.data.paymentRequired).toMatchObject({
      code: 'USAGE_LIMIT_REACHED',
      packs: [
        { id: 'PACK_100', units: 100, priceCents: 1000 },
        { id: 'PACK_1000', units: 1000, priceCents: 8000 },
      ],
      buyRunsUrl: expect.stringMatching(/\/settings\/subscription\?buy=1$/),
    });

    const { paid, sessionId } = await buyPack(customer);
    expect(paid.status).toBe(303);
    const balance = await balanceOf(customer);
    expect(balance).toMatchObject({ creditsRemaining: 100, totalRemaining: 100 });
    const [pack] = balance.grants;
    // 12 calendar months after the purchase (the server's clock is the emulator's).
    const bought = new Date(billing.emulator.clock.now());
    const expected = new Date(bought);
    expected.setUTCFullYear(expected.getUTCFullYear() + 1);
    expect(Math.abs(new Date(pack?.expiresAt ?? 0).getTime() - expected.getTime())).toBeLessThan(60_000);

    // Stripe resends everything, shuffled and in reverse: still one pack of 100.
    const events = await allEvents();
    await replay([...events].reverse());
    await replay([...events].sort(() => Math.random() - 0.5));
    // A new event (another id, so not deduplicated by id) about the same paid session: no second pack.
    const session = await billing.stripe.checkout.sessions.retrieve(sessionId);
    expect((await sendWebhook(billing, eventOf('checkout.session.completed', session))).status).toBe(200);
    expect(await grantRows(customer)).toHaveLength(1);
    expect((await balanceOf(customer)).creditsRemaining).toBe(100);

    // The run refused before goes through now, on the pack.
    const next = await authorize(customer, 'after-pack');
    expect(next.status).toBe(200);
    expect(next.data).toMatchObject({ used: 10, limit: 10, credits: 99, remaining: 99 });
  }, 120_000);

  it('a declined card credits nothing', async () => {
    const customer = await Customer.signUp(billing);
    const { paid } = await buyPack(customer, CARDS.declined);
    expect(paid.alert).toBeTruthy();
    await replay(await allEvents());
    expect(await grantRows(customer)).toHaveLength(0);
    expect((await balanceOf(customer)).creditsRemaining).toBe(0);
  }, 60_000);
});

describe('who may buy a pack', () => {
  it('a team without a plan (it can spend no runs) is told so instead of paying for runs it cannot use', async () => {
    const owner = await Customer.signUp(billing);
    const team = await owner.call('mutation', 'accounts.create', { name: 'No plan yet' });
    expect(team.status).toBe(200);
    const sessionsBefore = (await billing.stripe.checkout.sessions.list({ limit: 100 })).data.length;
    const refused = await trpc(
      billing.server.url,
      'mutation',
      'billing.createPackCheckout',
      { packId: 'PACK_100' },
      owner.token,
      { 'x-tollgate-account': team.data.id as string },
    );
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toMatch(/paid plan.*A pack would not help/s);
    // Refused before Stripe was asked for anything: no Checkout Session was made.
    expect((await billing.stripe.checkout.sessions.list({ limit: 100 })).data.length).toBe(sessionsBefore);
  }, 60_000);
});

describe('delayed payments: credited only when Stripe says the money arrived', () => {
  async function payDelayed(customer: Customer) {
    const session = await customer.call('mutation', 'billing.createPackCheckout', { packId: 'PACK_100' });
    expect(session.status).toBe(200);
    const sessionId = session.data.id as string;
    expect(billing.emulator.checkout.pay(sessionId, { delayed: true })).toMatchObject({ isComplete: true });
    await customer.settle();
    return sessionId;
  }

  it('completed but unpaid credits nothing; async_payment_succeeded credits once, even replayed first', async () => {
    const customer = await Customer.signUp(billing);
    const sessionId = await payDelayed(customer);
    expect(await grantRows(customer)).toHaveLength(0);
    billing.emulator.checkout.resolveDelayedPayment(sessionId, 'succeeded');
    await customer.settle();
    expect((await balanceOf(customer)).creditsRemaining).toBe(100);
    // Every event again, the newest (async_payment_succeeded) first: still one pack.
    await replay(await allEvents());
    expect(await grantRows(customer)).toHaveLength(1);
  }, 60_000);

  it('async_payment_failed credits nothing', async () => {
    const customer = await Customer.signUp(billing);
    const sessionId = await payDelayed(customer);
    billing.emulator.checkout.resolveDelayedPayment(sessionId, 'failed');
    await customer.settle();
    await replay(await allEvents());
    expect(await grantRows(customer)).toHaveLength(0);
  }, 60_000);
});

describe('refunds claw back units in proportion to the money returned', () => {
  async function paymentIntentOf(customer: Customer): Promise<string> {
    const [grant] = await grantRows(customer);
    expect(grant?.paymentIntentId).toMatch(/^pi_/);
    return grant?.paymentIntentId ?? '';
  }

  it('a full refund of a half-used pack removes the unspent half; spent runs stay spent', async () => {
    const customer = await Customer.signUp(billing);
    await buyPack(customer);
    // 10 of the allowance + 50 of the pack.
    expect((await authorize(customer, 'big', 60)).status).toBe(200);
    await billing.stripe.refunds.create({ payment_intent: await paymentIntentOf(customer) });
    await customer.settle();
    const [pack] = (await balanceOf(customer)).grants;
    expect(pack).toMatchObject({ remaining: 0, clawbackUnits: 100, clawedBackUnits: 50 });
    expect((await authorize(customer, 'after-refund')).status).toBe(402);
  }, 60_000);

  it('30 % of an unused pack removes 30 runs; the same refunds twice or reordered change nothing more', async () => {
    const customer = await Customer.signUp(billing);
    await buyPack(customer);
    const paymentIntent = await paymentIntentOf(customer);
    const before = (await allEvents()).length;
    await billing.stripe.refunds.create({ payment_intent: paymentIntent, amount: 300 });
    await customer.settle();
    expect((await balanceOf(customer)).grants[0]).toMatchObject({ remaining: 70, clawedBackUnits: 30 });
    await billing.stripe.refunds.create({ payment_intent: paymentIntent, amount: 1 });
    await customer.settle();
    // ⌈100 × 301 ÷ 1000⌉ = 31.
    expect((await balanceOf(customer)).grants[0]).toMatchObject({ remaining: 69, clawedBackUnits: 31 });
    const refundEvents = (await allEvents()).slice(0, (await allEvents()).length - before);
    await replay(refundEvents);
    await replay([...refundEvents].reverse());
    expect((await balanceOf(customer)).grants[0]).toMatchObject({ remaining: 69, clawedBackUnits: 31 });
  }, 60_000);
});
