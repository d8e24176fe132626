import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AppError,
  parseStripeCheckoutSession,
  parseStripeEvent,
  parseStripeInvoice,
  parseClientReference,
  parseStripeSubscription,
} from '../src/index';
import { fixtureObject, readFixture } from './fixtures';

const seconds = (s: number) => new Date(s * 1000);
const CLOVER = 'clover-2025-12-15';

describe('every recorded fixture is parsed', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'stripe-events');
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));

  it('finds all seven fixtures', () => {
    expect(files.sort()).toEqual([
      'basil/invoice.payment_failed.data-only.json',
      `${CLOVER}/checkout.session.completed.json`,
      `${CLOVER}/customer.subscription.created.json`,
      `${CLOVER}/customer.subscription.deleted.json`,
      `${CLOVER}/customer.subscription.updated.cancel-at-period-end.json`,
      `${CLOVER}/customer.subscription.updated.renewal.json`,
      `${CLOVER}/invoice.payment_succeeded.json`,
    ]);
  });

  it.each(files)('%s', (file) => {
    const object = fixtureObject(file) as { object: string };
    const parse = {
      subscription: parseStripeSubscription,
      invoice: parseStripeInvoice,
      'checkout.session': parseStripeCheckoutSession,
    }[object.object];
    expect(parse).toBeDefined();
    expect(() => parse?.(object)).not.toThrow();
  });
});

describe('parseStripeEvent', () => {
  it('reads the envelope of a clover event', () => {
    const event = parseStripeEvent(readFixture(`${CLOVER}/customer.subscription.created.json`));
    expect(event).toMatchObject({
      id: 'evt_1Sj92sQEUxc7vavP9uhaHXpO',
      type: 'customer.subscription.created',
      apiVersion: '2025-12-15.clover',
      created: seconds(1766886321),
    });
    expect(parseStripeSubscription(event.object).id).toBe('sub_1Sj92qQEUxc7vavPCci7BTks');
  });

  it('rejects a data-only payload', () => {
    expect(() => parseStripeEvent(readFixture('basil/invoice.payment_failed.data-only.json'))).toThrow(
      AppError,
    );
  });
});

describe('parseStripeSubscription (clover: periods on items)', () => {
  it('customer.subscription.created', () => {
    expect(parseStripeSubscription(fixtureObject(`${CLOVER}/customer.subscription.created.json`))).toEqual({
      id: 'sub_1Sj92qQEUxc7vavPCci7BTks',
      customerId: 'cus_TgW4BfSMznHNLD',
      status: 'active',
      priceId: 'price_1Siwm1QEUxc7vavPVlfsihgO',
      currentPeriodStart: seconds(1766886318),
      currentPeriodEnd: seconds(1769564718),
      cancelAtPeriodEnd: false,
      cancelAt: null,
      trialStart: null,
      trialEnd: null,
      created: seconds(1766886318),
      metadataUserId: null,
      metadataAccountId: null,
      quantity: 1,
      // HK$288 a month: not 28,800 US cents, so analytics takes the plan's catalog price instead.
      recurringPrice: null,
      itemPriceIds: ['price_1Siwm1QEUxc7vavPVlfsihgO'],
    });
  });

  it('reads the same subscription in US dollars', () => {
    const json = fixtureObject(`${CLOVER}/customer.subscription.created.json`);
    const inDollars = JSON.parse(JSON.stringify(json).replace(/"currency":"hkd"/g, '"currency":"usd"'));
    expect(parseStripeSubscription(inDollars).recurringPrice).toEqual({
      unitAmountCents: 28800,
      interval: 'month',
    });
  });

  it('customer.subscription.updated for cancel at period end', () => {
    const sub = parseStripeSubscription(
      fixtureObject(`${CLOVER}/customer.subscription.updated.cancel-at-period-end.json`),
    );
    expect(sub).toMatchObject({
      status: 'active',
      cancelAtPeriodEnd: true,
      cancelAt: seconds(1769536454),
      currentPeriodStart: seconds(1766858054),
      currentPeriodEnd: seconds(1769536454),
    });
  });

  it('customer.subscription.updated for a renewal reads the new period', () => {
    const sub = parseStripeSubscription(
      fixtureObject(`${CLOVER}/customer.subscription.updated.renewal.json`),
    );
    expect(sub).toMatchObject({
      id: 'sub_1Sj9CeQEUxc7vavPhxMty9O3',
      status: 'active',
      currentPeriodStart: seconds(1767232320),
      currentPeriodEnd: seconds(1769910720),
      created: seconds(1764553920),
    });
  });

  it('customer.subscription.deleted', () => {
    const sub = parseStripeSubscription(fixtureObject(`${CLOVER}/customer.subscription.deleted.json`));
    expect(sub).toMatchObject({
      status: 'canceled',
      customerId: 'cus_TgW4BfSMznHNLD',
      cancelAtPeriodEnd: false,
    });
  });
});

describe('parseStripeSubscription: more than one item (a metered price next to the plan)', () => {
  const item = (price: string | null, start: number, quantity?: number) => ({
    price: price === null ? null : { id: price, object: 'price' },
    current_period_start: start,
    current_period_end: start + 2_592_000,
    ...(quantity === undefined ? {} : { quantity }),
  });
  const subscription = (...items: unknown[]) => ({
    id: 'sub_multi',
    object: 'subscription',
    customer: 'cus_multi',
    status: 'active',
    created: 1700000000,
    items: { object: 'list', data: items },
  });
  const isPlanPrice = (priceId: string) => priceId === 'price_pro';

  it('finds the plan by its price among the items, wherever it is; the others are ignored', () => {
    const sub = parseStripeSubscription(
      subscription(
        item(null, 1700000100),
        item('price_overage', 1700000200),
        item('price_pro', 1700000300, 3),
      ),
      isPlanPrice,
    );
    expect(sub).toMatchObject({
      priceId: 'price_pro',
      quantity: 3,
      currentPeriodStart: seconds(1700000300),
      currentPeriodEnd: seconds(1700000300 + 2_592_000),
    });
  });

  it('no item with a known price: the first stands for the plan (reported as an unknown price)', () => {
    const sub = parseStripeSubscription(
      subscription(item('price_custom', 1700000100, 2), item('price_other', 1700000200)),
      isPlanPrice,
    );
    expect(sub).toMatchObject({
      priceId: 'price_custom',
      quantity: 2,
      currentPeriodStart: seconds(1700000100),
    });
  });

  it('without a price rule, the first item is the plan (as before)', () => {
    expect(
      parseStripeSubscription(subscription(item('price_a', 1700000100), item('price_pro', 1700000200))),
    ).toMatchObject({ priceId: 'price_a' });
  });
});

describe('parseStripeSubscription (before basil: periods on the subscription)', () => {
  const oldShape = {
    id: 'sub_old',
    object: 'subscription',
    customer: { id: 'cus_old', object: 'customer' }, // expanded
    status: 'trialing',
    current_period_start: 1700000000,
    current_period_end: 1701209600,
    cancel_at_period_end: false,
    cancel_at: null,
    trial_start: 1700000000,
    trial_end: 1701209600,
    created: 1700000000,
    metadata: { userId: 'user_42' },
    plan: { id: 'price_basic', object: 'plan' },
    items: { object: 'list', data: [{ id: 'si_1', price: { id: 'price_basic', object: 'price' } }] },
    some_future_field: { anything: true },
  };

  it('reads top-level periods, expanded customer, metadata.userId and ignores unknown fields', () => {
    expect(parseStripeSubscription(oldShape)).toEqual({
      id: 'sub_old',
      customerId: 'cus_old',
      status: 'trialing',
      priceId: 'price_basic',
      currentPeriodStart: seconds(1700000000),
      currentPeriodEnd: seconds(1701209600),
      cancelAtPeriodEnd: false,
      cancelAt: null,
      trialStart: seconds(1700000000),
      trialEnd: seconds(1701209600),
      created: seconds(1700000000),
      metadataUserId: 'user_42',
      metadataAccountId: null,
      quantity: null,
      recurringPrice: null,
      itemPriceIds: ['price_basic'],
    });
  });

  it("lists every item's price: the plan's and a metered overage item beside it", () => {
    const withOverage = {
      ...oldShape,
      items: {
        object: 'list',
        data: [
          { id: 'si_1', price: { id: 'price_basic', object: 'price' } },
          { id: 'si_2', price: 'price_overage' },
        ],
      },
    };
    const parsed = parseStripeSubscription(withOverage, (priceId) => priceId === 'price_basic');
    expect(parsed).toMatchObject({ priceId: 'price_basic', itemPriceIds: ['price_basic', 'price_overage'] });
  });

  it('falls back to the legacy `plan` when there are no items', () => {
    const { items: _items, ...withoutItems } = oldShape;
    expect(parseStripeSubscription(withoutItems).priceId).toBe('price_basic');
  });

  it('has no price when there are neither items nor a legacy plan', () => {
    const { items: _items, plan: _plan, ...bare } = oldShape;
    expect(parseStripeSubscription(bare).priceId).toBeNull();
  });

  it.each([
    // [cancel_at_period_end, cancel_at, expected]: either flag means the subscription won't renew.
    ['omitted', undefined, undefined, false],
    ['null', null, null, false],
    ['false, no cancel_at', false, null, false],
    ['true, no cancel_at', true, null, true],
    ['true, cancel_at after the period end', true, 1801209600, true],
    ['false, cancel_at at the period end', false, 1701209600, true],
    ['false, cancel_at before the period end', false, 1700600000, true],
    ['false, cancel_at after the period end', false, 1801209600, false],
  ] as const)('cancel_at_period_end %s -> %s', (_label, cancelAtPeriodEnd, cancelAt, expected) => {
    const sub = parseStripeSubscription({
      ...oldShape,
      status: 'active',
      cancel_at_period_end: cancelAtPeriodEnd,
      cancel_at: cancelAt,
    });
    expect(sub.cancelAtPeriodEnd).toBe(expected);
  });

  it('a cancel_at without any known period end is not "at period end" (a missing date is not 0)', () => {
    const { items: _items, current_period_start: _start, current_period_end: _end, ...noPeriod } = oldShape;
    const sub = parseStripeSubscription({
      ...noPeriod,
      status: 'active',
      cancel_at_period_end: false,
      cancel_at: 0,
    });
    expect(sub).toMatchObject({ currentPeriodEnd: null, cancelAt: seconds(0), cancelAtPeriodEnd: false });
  });

  it.each([
    ['no metadata', undefined, null],
    ['null metadata', null, null],
    ['an empty userId', { userId: '' }, null],
    ['a non-string userId', { userId: 42 }, null],
    ['a one-character userId', { userId: 'u' }, 'u'],
  ] as const)('metadataUserId with %s -> %s', (_label, metadata, expected) => {
    expect(parseStripeSubscription({ ...oldShape, metadata }).metadataUserId).toBe(expected);
  });

  it.each([
    ['no metadata', undefined, null],
    ['null metadata', null, null],
    ['an empty accountId', { accountId: '' }, null],
    ['a non-string accountId', { accountId: 42 }, null],
    ['only a userId', { userId: 'user_42' }, null],
    [
      'an accountId',
      { accountId: '0b6f0c7e-4f5a-4d3e-9a7b-1c2d3e4f5a6b' },
      '0b6f0c7e-4f5a-4d3e-9a7b-1c2d3e4f5a6b',
    ],
  ] as const)('metadataAccountId with %s -> %s', (_label, metadata, expected) => {
    expect(parseStripeSubscription({ ...oldShape, metadata }).metadataAccountId).toBe(expected);
  });

  it('reads both ids when both are set (the userId stays readable forever)', () => {
    const sub = parseStripeSubscription({ ...oldShape, metadata: { userId: 'user_42', accountId: 'acc_1' } });
    expect(sub).toMatchObject({ metadataUserId: 'user_42', metadataAccountId: 'acc_1' });
  });

  it.each([
    ['the first item carrying the price', [{ id: 'si_1', price: 'price_team', quantity: 3 }], 3],
    [
      'only the first item (one price per subscription)',
      [
        { id: 'si_1', price: 'price_team', quantity: 4 },
        { id: 'si_2', price: 'price_other', quantity: 9 },
      ],
      4,
    ],
    ['zero seats', [{ id: 'si_1', price: 'price_team', quantity: 0 }], 0],
    ['an item without a quantity', [{ id: 'si_1', price: 'price_team' }], null],
    ['a null quantity', [{ id: 'si_1', price: 'price_team', quantity: null }], null],
    ['no items', [], null],
  ] as const)('quantity from %s -> %s', (_label, data, expected) => {
    expect(parseStripeSubscription({ ...oldShape, items: { object: 'list', data } }).quantity).toBe(expected);
  });

  const priced = (price: unknown) =>
    parseStripeSubscription({ ...oldShape, items: { object: 'list', data: [{ id: 'si_1', price }] } });

  it.each([
    [
      'a monthly price',
      { unit_amount: 1900, recurring: { interval: 'month', interval_count: 1 } },
      1900,
      'month',
    ],
    ['a yearly price', { unit_amount: 19000, recurring: { interval: 'year' } }, 19000, 'year'],
    ['a free price', { unit_amount: 0, recurring: { interval: 'month', interval_count: null } }, 0, 'month'],
  ] as const)('reads the recurring price of %s', (_label, price, cents, interval) => {
    const sub = priced({ id: 'price_x', ...price });
    expect(sub.priceId).toBe('price_x');
    expect(sub.recurringPrice).toEqual({ unitAmountCents: cents, interval });
  });

  it.each([
    ['a price named by id', 'price_x'],
    ['no unit amount (tiers)', { id: 'price_x', unit_amount: null, recurring: { interval: 'month' } }],
    ['a one-time price', { id: 'price_x', unit_amount: 1000, recurring: null }],
    ['a weekly price', { id: 'price_x', unit_amount: 1000, recurring: { interval: 'week' } }],
    [
      'every 3 months',
      { id: 'price_x', unit_amount: 1000, recurring: { interval: 'month', interval_count: 3 } },
    ],
  ])('has no recurring price for %s', (_label, price) => {
    expect(priced(price).recurringPrice).toBeNull();
  });

  it.each([
    ['a euro price', { currency: 'eur' }, undefined],
    [
      'a yen price (no minor unit: 7000 is ¥7,000, not $70)',
      { currency: 'jpy', unit_amount: 7000 },
      undefined,
    ],
    ['a catalog price billed in euros (currency_options)', { currency: 'usd' }, 'eur'],
  ])('has no recurring price for %s: analytics adds up US cents only', (_label, override, billedIn) => {
    const price = { id: 'price_x', unit_amount: 4900, recurring: { interval: 'month' }, ...override };
    const sub = parseStripeSubscription({
      ...oldShape,
      ...(billedIn ? { currency: billedIn } : {}),
      items: { object: 'list', data: [{ id: 'si_1', price }] },
    });
    expect(sub.recurringPrice).toBeNull();
  });

  it('reads a US dollar price whatever the case Stripe writes it in', () => {
    const price = { id: 'price_x', unit_amount: 4900, currency: 'USD', recurring: { interval: 'month' } };
    const sub = parseStripeSubscription({
      ...oldShape,
      currency: 'usd',
      items: { object: 'list', data: [{ id: 'si_1', price }] },
    });
    expect(sub.recurringPrice).toEqual({ unitAmountCents: 4900, interval: 'month' });
  });

  it('takes the recurring price of the plan item, not of the item next to it', () => {
    const sub = parseStripeSubscription(
      {
        ...oldShape,
        items: {
          object: 'list',
          data: [
            { id: 'si_m', price: { id: 'price_meter', unit_amount: null, recurring: { interval: 'month' } } },
            { id: 'si_p', price: { id: 'price_pro', unit_amount: 4900, recurring: { interval: 'month' } } },
          ],
        },
      },
      (priceId) => priceId === 'price_pro',
    );
    expect(sub).toMatchObject({
      priceId: 'price_pro',
      recurringPrice: { unitAmountCents: 4900, interval: 'month' },
    });
  });

  it('has no quantity without an items list (legacy `plan` only)', () => {
    const { items: _items, ...withoutItems } = oldShape;
    expect(parseStripeSubscription(withoutItems).quantity).toBeNull();
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '3'],
  ])('rejects a %s quantity', (_label, quantity) => {
    const items = { object: 'list', data: [{ id: 'si_1', price: 'price_team', quantity }] };
    expect(() => parseStripeSubscription({ ...oldShape, items })).toThrow(AppError);
  });

  it('treats a cancel_at at the period end as cancel at period end', () => {
    const sub = parseStripeSubscription({ ...oldShape, status: 'active', cancel_at: 1701209600 });
    expect(sub.cancelAtPeriodEnd).toBe(true);
    const later = parseStripeSubscription({ ...oldShape, status: 'active', cancel_at: 1801209600 });
    expect(later.cancelAtPeriodEnd).toBe(false);
  });
});

describe('parseStripeInvoice', () => {
  it('clover invoice.payment_succeeded: subscription under parent, service period from the lines', () => {
    expect(parseStripeInvoice(fixtureObject(`${CLOVER}/invoice.payment_succeeded.json`))).toEqual({
      id: 'in_1Sj92oQEUxc7vavPU6pxBAEo',
      customerId: 'cus_TgW4BfSMznHNLD',
      subscriptionId: 'sub_1Sj92qQEUxc7vavPCci7BTks',
      status: 'paid',
      billingReason: 'subscription_create',
      amountDue: 28800,
      amountPaid: 28800,
      currency: 'hkd',
      number: 'IZPCSSBT-0001',
      hostedInvoiceUrl: expect.stringMatching(/^https:\/\/invoice\.stripe\.com\//),
      invoicePdf: expect.stringMatching(/^https:\/\/pay\.stripe\.com\//),
      created: seconds(1766886318),
      periodStart: seconds(1766886318),
      periodEnd: seconds(1769564718),
    });
  });

  it('basil invoice.payment_failed (data only)', () => {
    expect(parseStripeInvoice(fixtureObject('basil/invoice.payment_failed.data-only.json'))).toMatchObject({
      id: 'in_1234',
      customerId: 'cus_1234',
      subscriptionId: 'sub_1234',
      status: 'open',
      billingReason: 'subscription_cycle',
      amountDue: 24900,
      amountPaid: 0,
      currency: 'usd',
      periodStart: seconds(1745433906),
      periodEnd: seconds(1776969906),
    });
  });

  it('old shape: top-level subscription, no lines, top-level period as fallback', () => {
    const invoice = parseStripeInvoice({
      id: 'in_old',
      object: 'invoice',
      customer: 'cus_old',
      subscription: 'sub_old',
      status: 'open',
      billing_reason: 'subscription_cycle',
      amount_due: 1900,
      amount_paid: 0,
      currency: 'usd',
      number: null,
      created: 1700000000,
      period_start: 1697321600,
      period_end: 1700000000,
    });
    expect(invoice).toMatchObject({
      subscriptionId: 'sub_old',
      hostedInvoiceUrl: null,
      invoicePdf: null,
      number: null,
      periodStart: seconds(1697321600),
      periodEnd: seconds(1700000000),
    });
  });

  describe('the service period spans all line periods', () => {
    const base = {
      id: 'in_lines',
      customer: 'cus_1',
      subscription: 'sub_1',
      amount_due: 3000,
      amount_paid: 3000,
      currency: 'usd',
      created: 1700000000,
      // The invoice's own period (pending items collected before it) is NOT the service period.
      period_start: 1690000000,
      period_end: 1700000000,
    };
    const line = (start: number, end: number) => ({ period: { start, end } });

    it.each([
      ['one line', [line(1700000000, 1702592000)], 1700000000, 1702592000],
      [
        'a proration then the new period (earliest start, latest end)',
        [line(1701000000, 1702592000), line(1700000000, 1702592000), line(1702592000, 1705270400)],
        1700000000,
        1705270400,
      ],
      [
        'lines without a period are skipped',
        [{ period: null }, line(1701000000, 1702592000), {}],
        1701000000,
        1702592000,
      ],
      ['no line has a period: the invoice period', [{ period: null }, {}], 1690000000, 1700000000],
      ['no lines: the invoice period', [], 1690000000, 1700000000],
    ])('%s', (_label, lines, start, end) => {
      expect(parseStripeInvoice({ ...base, lines: { object: 'list', data: lines } })).toMatchObject({
        periodStart: seconds(start),
        periodEnd: seconds(end),
      });
    });

    it('no lines object at all: the invoice period', () => {
      expect(parseStripeInvoice(base)).toMatchObject({
        periodStart: seconds(1690000000),
        periodEnd: seconds(1700000000),
      });
    });
  });

  it.each([
    ['parent: null', null, 'sub_old', 'sub_old'],
    [
      'parent without subscription details (a quote)',
      { type: 'quote_details', subscription_details: null },
      undefined,
      null,
    ],
    ['parent without subscription details, old field set', { type: 'quote_details' }, 'sub_old', 'sub_old'],
    [
      'subscription details win over the old field',
      { subscription_details: { subscription: 'sub_new' } },
      'sub_old',
      'sub_new',
    ],
    [
      'expanded subscription in the details',
      { subscription_details: { subscription: { id: 'sub_x' } } },
      undefined,
      'sub_x',
    ],
  ] as const)('subscription id with %s -> %s', (_label, parent, subscription, expected) => {
    const invoice = parseStripeInvoice({
      id: 'in_p',
      customer: 'cus_1',
      amount_due: 0,
      amount_paid: 0,
      currency: 'usd',
      created: 1700000000,
      parent,
      subscription,
    });
    expect(invoice.subscriptionId).toBe(expected);
  });

  it('an invoice without any subscription', () => {
    const invoice = parseStripeInvoice({
      id: 'in_one_off',
      customer: 'cus_1',
      amount_due: 500,
      amount_paid: 500,
      currency: 'usd',
      created: 1700000000,
      parent: null,
    });
    expect(invoice).toMatchObject({ subscriptionId: null, periodStart: null, periodEnd: null, status: null });
  });
});

describe('parseStripeCheckoutSession', () => {
  it('clover checkout.session.completed', () => {
    expect(parseStripeCheckoutSession(fixtureObject(`${CLOVER}/checkout.session.completed.json`))).toEqual({
      id: 'cs_test_b1oifUMF8AEZsb51YggpVAbVHusmIRkwBGYrELZa9ZU259eAq1u5upmin1',
      customerId: 'cus_TgW4BfSMznHNLD',
      subscriptionId: 'sub_1Sj92qQEUxc7vavPCci7BTks',
      clientReferenceId: 'qGxIM701wBPv40saGgPgylLoVX3IZWzX',
      metadataUserId: null,
      metadataAccountId: null,
      mode: 'subscription',
      status: 'complete',
      paymentStatus: 'paid',
    });
  });

  it('reads metadata.userId and an expanded subscription', () => {
    const session = parseStripeCheckoutSession({
      id: 'cs_1',
      customer: null,
      subscription: { id: 'sub_9', object: 'subscription' },
      client_reference_id: null,
      metadata: { userId: 'user_7' },
      mode: 'subscription',
      status: 'open',
      payment_status: 'unpaid',
    });
    expect(session).toMatchObject({
      customerId: null,
      subscriptionId: 'sub_9',
      clientReferenceId: null,
      metadataUserId: 'user_7',
      metadataAccountId: null,
    });
  });

  it('reads metadata.accountId and an "account:" client reference', () => {
    const session = parseStripeCheckoutSession({
      id: 'cs_2',
      customer: 'cus_2',
      subscription: 'sub_2',
      client_reference_id: `account:${ACCOUNT_ID}`,
      metadata: { accountId: ACCOUNT_ID, plan: 'TEAM' },
      mode: 'subscription',
    });
    expect(session).toMatchObject({
      clientReferenceId: `account:${ACCOUNT_ID}`,
      metadataUserId: null,
      metadataAccountId: ACCOUNT_ID,
    });
    expect(parseClientReference(session.clientReferenceId)).toEqual({ kind: 'account', id: ACCOUNT_ID });
  });
});

const ACCOUNT_ID = '0b6f0c7e-4f5a-4d3e-9a7b-1c2d3e4f5a6b';

describe('parseClientReference', () => {
  it.each([
    ['an account reference', `account:${ACCOUNT_ID}`, { kind: 'account', id: ACCOUNT_ID }],
    // Every session created before billing accounts carries the bare user id: it stays a user forever.
    [
      'a bare user id (every older session)',
      'qGxIM701wBPv40saGgPgylLoVX3IZWzX',
      { kind: 'user', id: 'qGxIM701wBPv40saGgPgylLoVX3IZWzX' },
    ],
    ['a one-character user id', 'u', { kind: 'user', id: 'u' }],
    ['a uuid without the prefix (a user id)', ACCOUNT_ID, { kind: 'user', id: ACCOUNT_ID }],
    ['the prefix with a non-uuid (a user id)', 'account:bob', { kind: 'user', id: 'account:bob' }],
    ['the prefix alone (a user id)', 'account:', { kind: 'user', id: 'account:' }],
    ['another prefix', `user:${ACCOUNT_ID}`, { kind: 'user', id: `user:${ACCOUNT_ID}` }],
    ['the prefix in another case', `Account:${ACCOUNT_ID}`, { kind: 'user', id: `Account:${ACCOUNT_ID}` }],
    ['an empty string', '', null],
    ['null', null, null],
    ['undefined', undefined, null],
  ] as const)('%s', (_label, ref, expected) => {
    expect(parseClientReference(ref)).toEqual(expected);
  });
});

describe('junk is rejected with AppError BAD_REQUEST', () => {
  const subscription = fixtureObject(`${CLOVER}/customer.subscription.created.json`) as Record<
    string,
    unknown
  >;
  const invoice = fixtureObject(`${CLOVER}/invoice.payment_succeeded.json`) as Record<string, unknown>;
  const session = fixtureObject(`${CLOVER}/checkout.session.completed.json`) as Record<string, unknown>;

  it.each([
    ['subscription: null', () => parseStripeSubscription(null)],
    ['subscription: a string', () => parseStripeSubscription('sub_1')],
    ['subscription: an unknown status', () => parseStripeSubscription({ ...subscription, status: 'zombie' })],
    ['subscription: no customer', () => parseStripeSubscription({ ...subscription, customer: undefined })],
    [
      'subscription: a millisecond string date',
      () => parseStripeSubscription({ ...subscription, created: '2025-01-01' }),
    ],
    ['subscription: an invoice', () => parseStripeSubscription(invoice)],
    ['invoice: a subscription', () => parseStripeInvoice(subscription)],
    ['invoice: no amount', () => parseStripeInvoice({ ...invoice, amount_due: undefined })],
    ['checkout session: an invoice', () => parseStripeCheckoutSession(invoice)],
    ['checkout session: no mode', () => parseStripeCheckoutSession({ ...session, mode: undefined })],
  ])('%s', (_label, parse) => {
    expect(parse).toThrow(AppError);
    expect(parse).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it.each([
    ['event', () => parseStripeEvent({ id: 'evt_1' })],
    ['subscription', () => parseStripeSubscription(invoice)],
    ['invoice', () => parseStripeInvoice(subscription)],
    ['checkout session', () => parseStripeCheckoutSession(invoice)],
  ])('names the %s it expected, for the logs', (what, parse) => {
    expect(parse).toThrow(`Malformed Stripe ${what}`);
  });

  it('lists each problem with its dotted path, for the logs', () => {
    const items = subscription['items'] as { data: Record<string, unknown>[] };
    const badItem = { ...items.data[0], current_period_end: 'soon' };
    try {
      parseStripeSubscription({ ...subscription, status: 'zombie', items: { ...items, data: [badItem] } });
      expect.unreachable();
    } catch (error) {
      const issues = (error as AppError).details?.['issues'] as { path: string; message: string }[];
      expect(issues.map((issue) => issue.path).sort()).toEqual(['items.data.0.current_period_end', 'status']);
      for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
    }
  });
});
