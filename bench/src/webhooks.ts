import { queryRows, type DbHandle } from '@tollgate/db';
import { startEmulatedStripe, type RunningServer } from '@tollgate/server';
import { sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { runLoad } from './load';
import type { LoadResult, PreparedRequest } from './load-spec';
import { startBenchServer } from './servers';
import { personalTenant } from './tenants';

const WEBHOOK_SECRET = 'whsec_tollgate_bench_secret_0123456789';
const SUCCESS_CARD = '4242424242424242';

export interface WebhookRun {
  kind: string;
  uniqueEvents: number;
  deliveries: number;
  load: LoadResult;
  /** Event rows stored for this run: must equal uniqueEvents (each stored once, duplicates no-ops). */
  stored: number;
  /** Of those, applied: no failure recorded (and, for a subscription event, its account named). */
  applied: number;
  /** The figure: events applied per second of the run (a duplicate delivery applies nothing). */
  appliedPerSecond: number;
  /** GET /v1/subscriptions/:id answered by the emulator during the run: the re-fetches made. */
  refetches: number;
  isExact: boolean;
}

export interface WebhookFigures {
  /** GET /api/v1/health/live on the same server, same connections, just before: the bare route. */
  bareJson: LoadResult;
  ignored: WebhookRun;
  subscription: WebhookRun;
  subscriptions: number;
  /** Events (each delivered twice) sent before each timed run, not counted. */
  warmUpEvents: number;
}

const CONNECTIONS = 32;
/**
 * Events per timed run (each delivered twice): about 10 s each here, so the rate is a sustained one,
 * not the ramp and the drain of a run of a few seconds.
 */
export const WEBHOOK_EVENTS = { ignored: 10_000, subscription: 3_000 };
/** Events delivered (twice each) before each timed run, not counted. */
const WARM_UP_EVENTS = 300;

/**
 * Signed deliveries to POST /api/v1/billing/webhook, every event delivered twice (half of all
 * deliveries are duplicates), each delivery signed on its own like a Stripe retry:
 * - an event type the handler records and ignores (signature check + dedupe insert),
 * - customer.subscription.updated for real subscriptions, created beforehand through Checkout on the
 *   in-process Stripe emulator: each new event re-fetches the subscription from the emulator over HTTP
 *   with no transaction open (the robustness issue: no network call under a lock), then applies it in
 *   one transaction under the account's lock.
 * The bare JSON route is measured on the same server with the same connections just before, so the
 * figure is printed beside what this server answers with no work at all.
 */
export async function measureWebhooks(db: DbHandle, counts: { ignored: number; subscription: number }) {
  const { emulator, stripe, settings, connect } = await startEmulatedStripe({
    emulator: { port: 0, deliveryRetryDelaysMs: [50, 100, 200] },
    secretKey: 'sk_test_tollgate_bench',
    webhookSecret: WEBHOOK_SECRET,
  });
  const server = await startBenchServer(db, { batchWindowMs: 2, billing: settings });
  try {
    connect(server.url);
    const subscriptionIds = await subscribe(server, stripe, 20);
    await emulator.webhooks.drain();

    const bareJson = await runLoad({
      baseUrl: server.url,
      connections: CONNECTIONS,
      method: 'GET',
      path: '/api/v1/health/live',
      durationSeconds: 4,
    });
    const ignored = await deliverTwice(server, stripe, 'ignored', counts.ignored, (i) => ({
      type: 'customer.created',
      object: { id: `cus_bench_${i}`, object: 'customer' },
    }));
    const snapshots = await Promise.all(subscriptionIds.map((id) => stripe.subscriptions.retrieve(id)));
    const subscription = await deliverTwice(server, stripe, 'subscription', counts.subscription, (i) => ({
      type: 'customer.subscription.updated',
      object: snapshots[i % snapshots.length],
    }));
    return {
      bareJson,
      ignored,
      subscription,
      subscriptions: subscriptionIds.length,
      warmUpEvents: WARM_UP_EVENTS,
    } satisfies WebhookFigures;
  } finally {
    await server.close();
    await emulator.close();
  }
}

/** `count` accounts subscribed to PRO through Checkout paid on the emulator's hosted page. */
async function subscribe(server: RunningServer, stripe: Stripe, count: number): Promise<string[]> {
  const billing = server.services.stripe;
  if (!billing) throw new Error('billing not configured');
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const tenant = personalTenant(`wh-${i}`);
    await server.services.subscriptions.loadState(tenant);
    const session = await billing.createCheckoutSession(tenant, { plan: 'PRO' });
    await payCheckout(session.url);
    const checkout = await stripe.checkout.sessions.retrieve(session.id);
    if (typeof checkout.subscription !== 'string') throw new Error('checkout created no subscription');
    ids.push(checkout.subscription);
  }
  return ids;
}

/** Posts the hosted Checkout page's payment form like a browser without JavaScript. */
async function payCheckout(url: string): Promise<void> {
  const page = await (await fetch(url)).text();
  const form = [...page.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((match) =>
    (match[2] ?? '').includes('card_number'),
  );
  if (!form?.[1]) throw new Error('no payment form on the checkout page');
  const fields: Record<string, string> = { card_number: SUCCESS_CARD };
  if ((form[2] ?? '').includes('name="email"')) fields.email = 'payer@example.test';
  const response = await fetch(form[1].replace(/&amp;/g, '&'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  if (response.status !== 303) throw new Error(`checkout payment answered ${response.status}`);
}

async function deliverTwice(
  server: RunningServer,
  stripe: Stripe,
  kind: string,
  count: number,
  eventOf: (i: number) => { type: string; object: unknown },
): Promise<WebhookRun> {
  const prefix = `evt_bench_${kind}_`;
  const request = {
    baseUrl: server.url,
    connections: CONNECTIONS,
    method: 'POST',
    path: '/api/v1/billing/webhook',
  } as const;
  // Warm-up, not counted: the same deliveries under other ids, so the path is compiled when timed.
  const warmUp = signedPairs(stripe, `evt_bench_warmup_${kind}_`, WARM_UP_EVENTS, eventOf);
  await runLoad({ ...request, amount: warmUp.length }, warmUp);
  const interleaved = signedPairs(stripe, prefix, count, eventOf);
  // The server's Stripe client is this one (in process): its responses count the re-fetches.
  let refetches = 0;
  const onResponse = (event: { method?: string; path?: string }) => {
    if (event.method === 'GET' && event.path?.startsWith('/v1/subscriptions/')) refetches += 1;
  };
  stripe.on('response', onResponse);
  const load = await runLoad({ ...request, amount: interleaved.length }, interleaved);
  stripe.off('response', onResponse);
  const [row] = await queryRows<{ stored: number; applied: number }>(
    server.db.db,
    sql`select count(*)::int as stored,
          count(*) filter (where failure_code is null
            and (type <> 'customer.subscription.updated' or account_id is not null))::int as applied
        from stripe_events where id like ${`${prefix}%`}`,
  );
  const stored = row?.stored ?? 0;
  const applied = row?.applied ?? 0;
  const isExact =
    stored === count && applied === count && (load.statusCodes['200'] ?? 0) === interleaved.length;
  return {
    kind,
    uniqueEvents: count,
    deliveries: interleaved.length,
    load,
    stored,
    applied,
    appliedPerSecond: applied / load.seconds,
    refetches,
    isExact,
  };
}

/**
 * Each event signed twice on its own (a Stripe retry is signed anew), originals and duplicates
 * interleaved so a duplicate follows its original a few deliveries later.
 */
function signedPairs(
  stripe: Stripe,
  prefix: string,
  count: number,
  eventOf: (i: number) => { type: string; object: unknown },
): PreparedRequest[] {
  const created = Math.floor(Date.now() / 1000);
  const deliveries: PreparedRequest[] = [];
  for (let i = 0; i < count; i += 1) {
    const { type, object } = eventOf(i);
    const payload = JSON.stringify({
      id: `${prefix}${i}`,
      object: 'event',
      type,
      api_version: '2026-10-28.endive',
      created,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    });
    // The duplicate follows a few events later, as a retry racing the original would.
    for (let copy = 0; copy < 2; copy += 1) {
      const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
      deliveries.push({
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
    }
  }
  return interleave(deliveries);
}

/** Pairs [a, a', b, b', …] → originals and duplicates spread apart by 16 positions. */
function interleave<T>(pairs: readonly T[]): T[] {
  const firsts = pairs.filter((_, i) => i % 2 === 0);
  const seconds = pairs.filter((_, i) => i % 2 === 1);
  const out: T[] = [];
  const lag = 16;
  for (let i = 0; i < firsts.length + lag; i += 1) {
    const first = firsts[i];
    const second = seconds[i - lag];
    if (first !== undefined) out.push(first);
    if (second !== undefined) out.push(second);
  }
  return out;
}
