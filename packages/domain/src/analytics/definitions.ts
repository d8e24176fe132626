/**
 * # Revenue analytics: the written definitions
 *
 * Every figure of the operator console is computed by this folder exactly as written here (the README
 * quotes this block; a change of definition is a change of this block and of its tests). The functions
 * are pure: the history comes in as an argument, and so does "now" (`asOf`).
 *
 * ## Time and money
 * - Months and days are UTC. A month "YYYY-MM" runs from 00:00:00.000 on its 1st to the last millisecond
 *   before the next month's 1st. A day is 24 hours (UTC has no DST).
 * - Money is integer cents (minor units), tax excluded; MRR is an amount per month. No float holds money.
 * - Money is US dollars, the catalog's currency. A subscription Stripe bills in another currency (a
 *   price changed in the dashboard, a catalog price billed through `currency_options`) is recorded at
 *   its plan's catalog price: without exchange rates its amount can't be added up (¥7,000 is not
 *   7,000 US cents).
 *
 * ## The subscription history
 * - One row per change of one subscription: its status, plan, licensed unit price per interval, interval
 *   (month or year), quantity and recurring discount per interval, in force from the row's `at` until the
 *   next row of the same subscription. At an instant t a subscription is in the state of its latest row
 *   with at ≤ t; before its first row it doesn't exist. An account may hold several subscriptions.
 *   Two rows of one subscription at the same instant are refused (which one held would be a guess).
 *
 * ## MRR, ARR, ARPU
 * - A subscription state's MRR is 0 unless its status is billed: `active` or `past_due` (past_due is
 *   still being billed: Stripe retries the invoice and Tollgate keeps the plan through the grace period).
 *   `trialing` counts 0. `incomplete`, `incomplete_expired`, `unpaid`, `paused` and `canceled` count 0:
 *   nothing is being billed (unpaid: Stripe stopped trying, and the account is back on FREE).
 * - A billed state's MRR = max(0, price × quantity − recurring discount), per month. A yearly amount is
 *   divided by 12 and rounded half up to a whole cent, once per subscription state; totals are sums of
 *   these integers, so every identity below is exact (rounding moves a yearly subscription by ½¢ at most).
 * - Excluded by construction (the row has no field for them): tax, overage (the metered price; see
 *   "Overage revenue"), one-time packs and one-time discounts.
 * - An account's MRR at t = Σ of its subscriptions' MRR at t; MRR at t = Σ over accounts; ARR = 12 × MRR.
 *   A paying account at t is one whose MRR at t is > 0 (a 100 % discount or a trial is not paying).
 * - ARPU at t = MRR ÷ paying accounts at t, shown in cents rounded half up.
 * - Month boundaries: MRR at the end of month m = MRR at its last millisecond (after every change dated
 *   in m); MRR at the start of m = MRR at the end of m − 1. A change at 00:00:00.000 on the 1st belongs to
 *   the month it opens, and months chain without a gap.
 *
 * ## MRR movements of month m (per account: s = its MRR at the start of m, e = at the end)
 * - An account's first paid month: the first month at whose end its MRR was > 0.
 * - new: s = 0 < e and m is the account's first paid month; amount e.
 * - reactivation: s = 0 < e and the account ended an earlier month paying; amount e.
 * - expansion: 0 < s < e; amount e − s.   contraction: 0 < e < s; amount s − e.   churn: s > 0 = e; amount s.
 * - Each account makes at most one movement a month, so
 *   new + reactivation + expansion − contraction − churn = MRR at the end − MRR at the start.
 * - Only the two boundaries are compared: a change undone within the month (cancel on the 10th, come back
 *   on the 20th) moves nothing, and an account that pays only inside one month never shows up.
 *
 * ## Churn and retention of month m
 * - Logo churn = accounts with a churn movement ÷ paying accounts at the start of m: the accounts whose
 *   paid subscriptions ended in m (canceled, unpaid, paused, back to a trial or FREE) and stayed ended.
 * - Revenue churn (gross) = (churn + contraction) ÷ MRR at the start of m.
 * - Net revenue retention (standard, monthly) = (MRR at the start + expansion − contraction − churn) ÷
 *   MRR at the start, over the accounts paying at the start: new and reactivated MRR are not in it.
 *
 * ## Trial-to-paid conversion, by signup cohort
 * - Cohort m: the trials that started in m. A trial converted when its account has a subscription state
 *   with MRR > 0 that begins between the trial's start and 30 days after its end, both included.
 *   Conversion = converted ÷ trials. Open: not converted while the 30-day window ends after `asOf` (the
 *   cohort's figure can still rise).
 *
 * ## Runs per account, month m
 * - From one run count per account and month (the caller includes the accounts that ran nothing).
 *   Buckets by the plans' allowances: 0, 1–10, 11–50, 51–100, 101–1,000, 1,001–2,000, over 2,000.
 *   Percentiles p50, p90, p99 by nearest rank (the smallest count such that at least p % of the accounts
 *   ran no more than it); max; mean = runs ÷ accounts, rounded half up.
 *
 * ## The 402
 * - 402 rate of month m = authorizations answered 402 in m ÷ authorizations in m (granted or refused).
 *   An authorization is one run id of one account: a granted one counts once (its ledger row), a refused
 *   one once per UTC day however often it is asked again (a client retrying a refused run id adds
 *   nothing; refused again on a later day, it counts on that day too). A run id refused and then granted
 *   (after an upgrade or a pack) counts once refused and once granted.
 * - First-402 follow-up, cohort m: the accounts whose first 402 ever (t0) falls in m. Upgraded: a
 *   subscription change in (t0, t0 + 7 days] after which the account's MRR is above its MRR at t0 (any
 *   plan: FREE → BASIC, BASIC → PRO, more seats). Bought a pack: a pack purchase in (t0, t0 + 7 days].
 *   Rate = accounts that did either ÷ accounts. Open: neither yet while the window ends after `asOf`.
 *
 * ## Overage revenue, month m
 * - Σ of the overage charges billed for m (metered invoice lines), and the accounts whose sum is > 0.
 *
 * ## Filters
 * - A range is whole months, from and to included. A plan filter keeps only states on those plans: a
 *   state on another plan counts 0 MRR, so each filtered figure is the figure of a business that sold
 *   only those plans (an upgrade BASIC → PRO is churn in the BASIC view and new or reactivation in the
 *   PRO view; the first paid month is judged in the same view). Trial conversion: the plan converted to.
 *   First-402 follow-up: the plan at t0. Runs, 402 rate and overage: the plan on each record.
 *
 * ## Ratios
 * - Kept exact as {numerator, denominator} of integers. Rates are shown in basis points (1 bp = 0.01 %),
 *   averages in whole cents or runs, both rounded half up. A denominator of 0 gives null ("n/a": no paying
 *   account, no trial…), never 0 % and never NaN.
 */

import type { SubscriptionStatus } from '../subscription-status';

/** Statuses whose subscription is being billed; every other status counts 0 MRR. */
export const BILLED_STATUSES: readonly SubscriptionStatus[] = Object.freeze(['active', 'past_due']);

export const MONTHS_PER_YEAR = 12;

/** A trial converts when the account pays within this many days of the trial's end. */
export const TRIAL_CONVERSION_WINDOW_DAYS = 30;

/** An account "answered" its first 402 when it upgraded or bought a pack within this many days. */
export const FIRST_DENIAL_WINDOW_DAYS = 7;

/**
 * Upper bounds (included) of the runs-per-account buckets: 0, then the allowances of FREE (10), TRIAL
 * (50), BASIC (100), PRO (1,000) and TEAM (2,000), so a bucket reads "fits within that plan"; the last
 * bucket, over 2,000, has no bound.
 */
export const RUN_BUCKET_UPPER_BOUNDS: readonly number[] = Object.freeze([0, 10, 50, 100, 1000, 2000]);
