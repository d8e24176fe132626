import { buildHistory, type SubscriptionChange } from '../../src/index';
import { at } from '../helpers';

/**
 * Six accounts over January–March 2024, whose figures hand-worked-*.test.ts work out by hand (2024 is a
 * leap year: February ends on the 29th).
 *
 *   A  BASIC 19.00 since 2023-12-10; upgrades to PRO 49.00 on 02-15.
 *   B  PRO 49.00 since 2023-11-05; payment fails 01-20 (past_due, still billed), paid 01-27; canceled at
 *      2024-03-01T00:00:00.000Z, the first instant of March: a March churn.
 *   C  trial of TEAM × 3 seats from 01-03, paid at its end 01-17 (3 × 15.00 = 45.00); 2 seats from 02-10.
 *   D  ENTERPRISE yearly 600.06 since 2023-06-01 (60006 ÷ 12 = 5000.5 → 5001, half up); canceled at
 *      2024-01-31T23:59:59.999Z, the last instant of January: a January churn. Back on 03-10 with BASIC
 *      and a recurring 4.00 coupon (1900 − 400 = 1500): a reactivation.
 *   E  trial of BASIC from 01-22, paid at its end 02-05, canceled 02-25: paid only inside February, so
 *      no February movement. Back 03-05: its first month ending paid, so "new".
 *   F  trial of BASIC from 02-20T12:00, ended and canceled 03-05T12:00; buys BASIC 04-04T12:00:00.001,
 *      1 ms after the 30-day window: not converted (and after the range: no MRR in January–March).
 */
const state = (iso: string, plan: SubscriptionChange['plan'], priceCents: number) => ({
  at: at(iso),
  plan,
  priceCents,
});
const row = (
  accountId: string,
  subscriptionId: string,
  status: SubscriptionChange['status'],
  state: { at: Date; plan: SubscriptionChange['plan']; priceCents: number },
  extra: Partial<SubscriptionChange> = {},
): SubscriptionChange => ({
  accountId,
  subscriptionId,
  status,
  interval: 'month',
  quantity: 1,
  discountCents: 0,
  ...state,
  ...extra,
});

const changes: SubscriptionChange[] = [
  row('A', 'a1', 'active', state('2023-12-10T09:00:00Z', 'BASIC', 1900)),
  row('A', 'a1', 'active', state('2024-02-15T09:00:00Z', 'PRO', 4900)),
  row('B', 'b1', 'active', state('2023-11-05T10:00:00Z', 'PRO', 4900)),
  row('B', 'b1', 'past_due', state('2024-01-20T10:00:00Z', 'PRO', 4900)),
  row('B', 'b1', 'active', state('2024-01-27T10:00:00Z', 'PRO', 4900)),
  row('B', 'b1', 'canceled', state('2024-03-01T00:00:00.000Z', 'PRO', 4900)),
  row('C', 'c1', 'trialing', state('2024-01-03T08:00:00Z', 'TEAM', 1500), { quantity: 3 }),
  row('C', 'c1', 'active', state('2024-01-17T08:00:00Z', 'TEAM', 1500), { quantity: 3 }),
  row('C', 'c1', 'active', state('2024-02-10T08:00:00Z', 'TEAM', 1500), { quantity: 2 }),
  row('D', 'd1', 'active', state('2023-06-01T00:00:00Z', 'ENTERPRISE', 60006), { interval: 'year' }),
  row('D', 'd1', 'canceled', state('2024-01-31T23:59:59.999Z', 'ENTERPRISE', 60006), { interval: 'year' }),
  row('D', 'd2', 'active', state('2024-03-10T12:00:00Z', 'BASIC', 1900), { discountCents: 400 }),
  row('E', 'e1', 'trialing', state('2024-01-22T07:00:00Z', 'BASIC', 1900)),
  row('E', 'e1', 'active', state('2024-02-05T07:00:00Z', 'BASIC', 1900)),
  row('E', 'e1', 'canceled', state('2024-02-25T07:00:00Z', 'BASIC', 1900)),
  row('E', 'e2', 'active', state('2024-03-05T07:00:00Z', 'BASIC', 1900)),
  row('F', 'f1', 'trialing', state('2024-02-20T12:00:00Z', 'BASIC', 1900)),
  row('F', 'f1', 'canceled', state('2024-03-05T12:00:00Z', 'BASIC', 1900)),
  row('F', 'f2', 'active', state('2024-04-04T12:00:00.001Z', 'BASIC', 1900)),
];
export const history = buildHistory(changes);
export const quarter = { from: '2024-01', to: '2024-03' };
