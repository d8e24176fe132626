import { describe, expect, it } from 'vitest';
import {
  PLAN_IDS,
  PLANS,
  decideLiveSubscription,
  isLiveStatus,
  type PlanId,
  type SubscriptionCandidate,
  type SubscriptionStatus,
} from '../src/index';

const sub = (
  id: string,
  plan: PlanId | null,
  status: SubscriptionStatus = 'active',
): SubscriptionCandidate => ({
  id,
  plan,
  status,
});
const NONE = new Set<string>();

describe('isLiveStatus', () => {
  it.each([
    ['active', true],
    ['trialing', true],
    ['past_due', true],
    ['incomplete', false],
    ['incomplete_expired', false],
    ['canceled', false],
    ['unpaid', false],
    ['paused', false],
  ] as const)('%s → %s', (status, isLive) => {
    expect(isLiveStatus(status)).toBe(isLive);
  });
});

describe('decideLiveSubscription', () => {
  it.each([
    // [name, incoming, stored, expected kind, id of the duplicate]
    ['no stored subscription', sub('b', 'BASIC'), null, 'apply', null],
    ['the stored one itself', sub('a', 'BASIC'), sub('a', 'BASIC'), 'apply', null],
    ['the stored one itself, now canceled', sub('a', 'BASIC', 'canceled'), sub('a', 'BASIC'), 'apply', null],
    ['stored one is over at Stripe', sub('b', 'BASIC'), sub('a', 'PRO', 'canceled'), 'apply', null],
    // An unpaid stored one grants nothing, but could come back once its old invoice is paid: canceled.
    ['stored one unpaid', sub('b', 'BASIC'), sub('a', 'PRO', 'unpaid'), 'replace-stored', 'a'],
    ['stored one paused', sub('b', 'BASIC'), sub('a', 'PRO', 'paused'), 'replace-stored', 'a'],
    ['stored one incomplete', sub('b', 'BASIC'), sub('a', 'BASIC', 'incomplete'), 'replace-stored', 'a'],
    [
      'stored one incomplete_expired',
      sub('b', 'BASIC'),
      sub('a', 'PRO', 'incomplete_expired'),
      'apply',
      null,
    ],
    [
      'past_due over an unpaid stored one',
      sub('b', 'BASIC', 'past_due'),
      sub('a', 'PRO', 'unpaid'),
      'apply',
      null,
    ],
    ['unknown price over an unpaid stored one', sub('x', null), sub('a', 'PRO', 'unpaid'), 'apply', null],
    ['BASIC over an unpaid deal', sub('b', 'BASIC'), sub('e', 'ENTERPRISE', 'unpaid'), 'apply', null],
    ['incoming one is not live', sub('b', 'PRO', 'incomplete'), sub('a', 'BASIC'), 'apply', null],
    ['incoming one canceled', sub('b', 'PRO', 'canceled'), sub('a', 'BASIC'), 'apply', null],
    ['PRO arrives over BASIC', sub('p', 'PRO'), sub('b', 'BASIC'), 'replace-stored', 'b'],
    ['BASIC arrives over PRO', sub('b', 'BASIC'), sub('p', 'PRO'), 'keep-stored', 'b'],
    ['tie: BASIC over BASIC keeps the stored', sub('b2', 'BASIC'), sub('b1', 'BASIC'), 'keep-stored', 'b2'],
    ['tie: PRO over PRO keeps the stored', sub('p2', 'PRO'), sub('p1', 'PRO'), 'keep-stored', 'p2'],
    [
      'trialing PRO over past_due BASIC',
      sub('p', 'PRO', 'trialing'),
      sub('b', 'BASIC', 'past_due'),
      'replace-stored',
      'b',
    ],
    [
      'past_due BASIC over trialing PRO',
      sub('b', 'BASIC', 'past_due'),
      sub('p', 'PRO', 'trialing'),
      'keep-stored',
      'b',
    ],
    // Paid up beats unpaid whatever the plans (a new Checkout once the old plan's grace was over).
    [
      'tie: active BASIC over past_due BASIC',
      sub('b2', 'BASIC'),
      sub('b1', 'BASIC', 'past_due'),
      'replace-stored',
      'b1',
    ],
    ['active BASIC over past_due PRO', sub('b', 'BASIC'), sub('p', 'PRO', 'past_due'), 'replace-stored', 'p'],
    [
      'trialing BASIC over past_due PRO',
      sub('b', 'BASIC', 'trialing'),
      sub('p', 'PRO', 'past_due'),
      'replace-stored',
      'p',
    ],
    [
      'tie: active TEAM over past_due TEAM',
      sub('t2', 'TEAM'),
      sub('t1', 'TEAM', 'past_due'),
      'replace-stored',
      't1',
    ],
    ['past_due PRO over active BASIC', sub('p', 'PRO', 'past_due'), sub('b', 'BASIC'), 'keep-stored', 'p'],
    [
      'tie: past_due BASIC over active BASIC',
      sub('b2', 'BASIC', 'past_due'),
      sub('b1', 'BASIC'),
      'keep-stored',
      'b2',
    ],
    // Both unpaid: the rank rules.
    [
      'past_due PRO over past_due BASIC',
      sub('p', 'PRO', 'past_due'),
      sub('b', 'BASIC', 'past_due'),
      'replace-stored',
      'b',
    ],
    [
      'past_due BASIC over past_due PRO',
      sub('b', 'BASIC', 'past_due'),
      sub('p', 'PRO', 'past_due'),
      'keep-stored',
      'b',
    ],
    [
      'tie: past_due over past_due',
      sub('b2', 'BASIC', 'past_due'),
      sub('b1', 'BASIC', 'past_due'),
      'keep-stored',
      'b2',
    ],
    // A deal is never displaced by a Checkout, nor is anything by a price Tollgate doesn't know.
    [
      'active BASIC over a past_due deal',
      sub('b', 'BASIC'),
      sub('e', 'ENTERPRISE', 'past_due'),
      'keep-stored',
      'b',
    ],
    [
      'past_due deal over active BASIC',
      sub('e', 'ENTERPRISE', 'past_due'),
      sub('b', 'BASIC'),
      'replace-stored',
      'b',
    ],
    [
      'active deal over a past_due deal',
      sub('e2', 'ENTERPRISE'),
      sub('e1', 'ENTERPRISE', 'past_due'),
      'keep-stored',
      'e2',
    ],
    [
      'active deal over past_due PRO',
      sub('e', 'ENTERPRISE'),
      sub('p', 'PRO', 'past_due'),
      'replace-stored',
      'p',
    ],
    ['unknown price over past_due BASIC', sub('x', null), sub('b', 'BASIC', 'past_due'), 'keep-stored', 'x'],
    [
      'active BASIC over a past_due unknown price',
      sub('b', 'BASIC'),
      sub('x', null, 'past_due'),
      'replace-stored',
      'x',
    ],
    ['BASIC over ENTERPRISE', sub('b', 'BASIC'), sub('e', 'ENTERPRISE'), 'keep-stored', 'b'],
    ['PRO over ENTERPRISE', sub('p', 'PRO'), sub('e', 'ENTERPRISE'), 'keep-stored', 'p'],
    ['unknown price over BASIC', sub('x', null), sub('b', 'BASIC'), 'keep-stored', 'x'],
    ['BASIC over an unknown price', sub('b', 'BASIC'), sub('x', null), 'replace-stored', 'x'],
    ['unknown over unknown keeps the stored', sub('y', null), sub('x', null), 'keep-stored', 'y'],
  ] as const)('%s → %s', (_name, incoming, stored, kind, duplicateId) => {
    const decision = decideLiveSubscription({ incoming, stored, duplicateIds: NONE });
    expect(decision.kind).toBe(kind);
    expect(decision.kind === 'apply' ? null : decision.duplicate.id).toBe(duplicateId);
  });

  it.each([
    ['still live', 'active'],
    ['already canceled', 'canceled'],
    ['past_due', 'past_due'],
  ] as const)('a subscription recorded as a duplicate is never applied again (%s)', (_name, status) => {
    const duplicateIds = new Set(['p2']);
    for (const stored of [sub('p1', 'PRO'), sub('b', 'BASIC'), sub('b', 'BASIC', 'canceled'), null]) {
      expect(decideLiveSubscription({ incoming: sub('p2', 'PRO', status), stored, duplicateIds })).toEqual({
        kind: 'keep-stored',
        duplicate: sub('p2', 'PRO', status),
      });
    }
  });

  it('the stored subscription is applied even if listed as a duplicate (its own state is the truth)', () => {
    const decision = decideLiveSubscription({
      incoming: sub('a', 'BASIC', 'canceled'),
      stored: sub('a', 'BASIC'),
      duplicateIds: new Set(['a']),
    });
    expect(decision).toEqual({ kind: 'apply' });
  });

  it('two live subscriptions converge to the higher plan whichever arrives first', () => {
    const basic = sub('b', 'BASIC');
    const pro = sub('p', 'PRO');
    // BASIC first: stored BASIC, then PRO replaces it and BASIC is recorded.
    const proLater = decideLiveSubscription({ incoming: pro, stored: basic, duplicateIds: NONE });
    expect(proLater).toEqual({ kind: 'replace-stored', duplicate: basic });
    // …then BASIC's late events (live or canceled) leave PRO alone.
    for (const late of [basic, sub('b', 'BASIC', 'canceled')]) {
      expect(decideLiveSubscription({ incoming: late, stored: pro, duplicateIds: new Set(['b']) }).kind).toBe(
        'keep-stored',
      );
    }
    // PRO first: BASIC is the duplicate straight away.
    expect(decideLiveSubscription({ incoming: basic, stored: pro, duplicateIds: NONE })).toEqual({
      kind: 'keep-stored',
      duplicate: basic,
    });
  });

  it.each([
    ['past_due', 'BASIC', 'PRO'],
    ['past_due', 'PRO', 'BASIC'],
    ['past_due', 'BASIC', 'BASIC'],
    ['past_due', 'TEAM', 'TEAM'],
    ['unpaid', 'PRO', 'BASIC'],
  ] as const)(
    'a paid-up subscription beats a %s %s one whichever arrives first (%s bought after)',
    (status, oldPlan, newPlan) => {
      const unpaid = sub('old', oldPlan, status);
      const paid = sub('new', newPlan);
      // Old one stored, the new one arrives: the new one replaces it, the old one is canceled…
      expect(decideLiveSubscription({ incoming: paid, stored: unpaid, duplicateIds: NONE })).toEqual({
        kind: 'replace-stored',
        duplicate: unpaid,
      });
      // …and its late events (still unpaid, or canceled) leave the new one alone.
      for (const late of [unpaid, sub('old', oldPlan, 'canceled')]) {
        const decision = decideLiveSubscription({
          incoming: late,
          stored: paid,
          duplicateIds: new Set(['old']),
        });
        expect(decision).toEqual({ kind: 'keep-stored', duplicate: late });
      }
      // New one stored first (the old one never recorded): a live old one is the duplicate straight away.
      if (status === 'past_due') {
        expect(decideLiveSubscription({ incoming: unpaid, stored: paid, duplicateIds: NONE })).toEqual({
          kind: 'keep-stored',
          duplicate: unpaid,
        });
      }
    },
  );

  it.each(PLAN_IDS)('an unknown price ranks below %s, whichever side it is on', (plan) => {
    const unknown = sub('x', null);
    const known = sub('k', plan);
    expect(decideLiveSubscription({ incoming: unknown, stored: known, duplicateIds: NONE })).toEqual({
      kind: 'keep-stored',
      duplicate: unknown,
    });
    expect(decideLiveSubscription({ incoming: known, stored: unknown, duplicateIds: NONE })).toEqual({
      kind: 'replace-stored',
      duplicate: unknown,
    });
  });

  it('ranks plans in catalog order, which grows with the run limit', () => {
    const known = PLAN_IDS.filter((id) => PLANS[id].runLimit !== null);
    const limits = known.map((id) => PLANS[id].runLimit ?? 0);
    expect(limits).toEqual([...limits].sort((a, b) => a - b));
    expect(PLAN_IDS.at(-1)).toBe('ENTERPRISE');
  });
});
