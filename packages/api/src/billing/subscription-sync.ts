import {
  applyPeriodLimit,
  clearOverrideForDealInEffect,
  getAccountOverrides,
  ensureHostUserAccount,
  findByStripeCustomerId,
  getSubscription,
  listEnterpriseDeals,
  lockSubscriptionRow,
  startSubscriptionSync,
  recordSubscriptionChange,
  toSubscriptionPatch,
  toSubscriptionState,
  updateSubscription,
  type Database,
  type StartedSync,
  type SubscriptionHistorySource,
  type SubscriptionRow,
} from '@tollgate/db';
import {
  applyStripeSubscription,
  getPlan,
  isLiveStatus,
  isPlanForAccountKind,
  type PlanId,
  parseStripeSubscription,
  planGrantedByPrice,
  resolveEntitlement,
  type StripeSubscriptionSnapshot,
  type SubscriptionState,
} from '@tollgate/domain';
import type { ApiDeps } from '../config';
import { displayAccountName, transitionNotices, type AccountContext } from '../notifications/billing-notices';
import { notify } from '../notifications/notifier';
import {
  createDuplicateSubscriptions,
  StoredSubscriptionMoved,
  type DuplicateCancellation,
} from './duplicate-subscriptions';
import { isPlanPriceOf, planForPrice, type BillingSettings } from './stripe-settings';
import { ownerOfAccount, ownerOfMetadata, type StripeOwner } from './stripe-owner';
import { parsePermanently, PermanentWebhookError } from './webhook-errors';

export interface SyncResult {
  accountId: string;
  /** True when the stored state changed (reconciliation counts these as corrected drift). */
  isChanged: boolean;
  /** The snapshot was older than the one stored (an older sync ticket): nothing was written. */
  isStale: boolean;
  /** When the account was last synced before this change (the oldest unsynced change, for reports). */
  previousSyncAt: Date | null;
  /** Duplicates to cancel at Stripe once the transaction committed (cancelDuplicates). */
  cancellations: DuplicateCancellation[];
  /** The account's state after the sync (null: nothing was written), and what notices are about. */
  after: SubscriptionState | null;
  context: AccountContext;
}

/** Everything a sync needs from Stripe, fetched before its transaction opens. */
export interface PreparedSync {
  /** Taken before the fetch: a stored snapshot with a newer ticket wins over this one. */
  ticket: number;
  owner: StripeOwner;
  snapshot: StripeSubscriptionSnapshot;
  /** Stored subscriptions the duplicate check needs, as Stripe has them (null: gone at Stripe). */
  stored: Map<string, StripeSubscriptionSnapshot | null>;
  /**
   * Prices made at Stripe for this account's ENTERPRISE deals, each with its deal's run limit: known to
   * the catalog mapping, and the limit is the plan's while a subscription on the price is the account's.
   */
  dealRunLimits: Map<string, number>;
}

/**
 * When a change happened, for the subscription history: Stripe's event time, or the sync's clock; and
 * the subscription as the event carried it, when it did (a customer.subscription.* event).
 */
export interface ChangeStamp {
  at: Date;
  source: SubscriptionHistorySource;
  observed?: StripeSubscriptionSnapshot | null;
}

/** Runs database work; webhook callers pass one that bounds how many run at once. */
export type DbStep = <T>(work: () => Promise<T>) => Promise<T>;

const direct: DbStep = (work) => work();

/**
 * The transaction is tried this many times at most: after each try whose locked row changed since the
 * sync prepared (a stored subscription nobody fetched, or a row moved on by a newer sync), what is
 * missing is fetched with none open and `work` run again.
 */
const MAX_COMMIT_ATTEMPTS = 3;

/**
 * The locked row moved to another subscription, written by a sync that started after this one took
 * its ticket: this sync's snapshot may predate what that row learned (the incoming subscription
 * canceled before another was bought, say), and the row no longer says so. `commit` prepares again.
 */
export class IncomingSnapshotOutdated extends Error {
  override readonly name = 'IncomingSnapshotOutdated';
  constructor(readonly subscriptionId: string) {
    super(`stripe subscription ${subscriptionId} must be fetched again: the account's row moved on`);
  }
}

/**
 * The one code path that writes Stripe state into Tollgate, shared by webhooks and reconciliation.
 * No network call happens under a lock: `prepare` takes a sync ticket from a sequence, then fetches
 * the subscription (and whatever the duplicate check needs) from Stripe with no transaction open;
 * `apply` then locks the account's row and folds the snapshot in with the domain reducer, unless the
 * row already holds a snapshot of that subscription with a newer ticket. Tickets grow in the order
 * syncs started fetching, so concurrent deliveries converge to the newest fetch, and any delivery order
 * and any number of duplicates converge to Stripe's current state.
 *
 * One live subscription per account: a second one (two Checkout sessions both paid) is decided by the
 * domain's decideLiveSubscription, recorded in the same transaction, and returned as a cancellation for
 * the caller to perform after commit (`sync` does; the webhook handler calls cancelDuplicates).
 */
export function createSubscriptionSync(deps: ApiDeps, settings: BillingSettings) {
  const { stripe } = settings;
  const { db, now } = deps;
  const duplicates = createDuplicateSubscriptions(deps, settings);

  async function fetchSnapshot(subscriptionId: string): Promise<StripeSubscriptionSnapshot> {
    const raw = await stripe.subscriptions.retrieve(subscriptionId);
    return parsePermanently(() => parseStripeSubscription(raw, isPlanPriceOf(settings)));
  }

  /**
   * Maps a Stripe subscription to its Tollgate account, never by guesswork: the linked row, the
   * checkout's reference, the subscription's metadata, the stored customer, the customer's metadata.
   */
  async function resolveOwner(
    linked: SubscriptionRow | null,
    snapshot: StripeSubscriptionSnapshot,
    ownerHint: StripeOwner | null,
    onDb: DbStep,
  ): Promise<StripeOwner | null> {
    if (linked) return ownerOfAccount(linked.accountId);
    if (ownerHint) return ownerHint;
    const byMetadata = ownerOfMetadata({
      accountId: snapshot.metadataAccountId,
      userId: snapshot.metadataUserId,
    });
    if (byMetadata) return byMetadata;
    const byCustomer = await onDb(() => findByStripeCustomerId(db, snapshot.customerId));
    if (byCustomer) return ownerOfAccount(byCustomer.accountId);
    const customer = await stripe.customers.retrieve(snapshot.customerId);
    if ('deleted' in customer && customer.deleted) return null;
    return ownerOfMetadata({
      accountId: customer.metadata?.accountId ?? null,
      userId: customer.metadata?.userId ?? null,
    });
  }

  /**
   * Outside any transaction: the ticket first, then Stripe. null when no Tollgate account owns the
   * subscription. Database steps go through `onDb` (each holds a pool connection for one statement or
   * two, never while Stripe answers).
   */
  async function prepare(
    subscriptionId: string,
    ownerHint: StripeOwner | null = null,
    onDb: DbStep = direct,
    started: StartedSync | null = null,
  ): Promise<PreparedSync | null> {
    const { ticket, linked } = started ?? (await onDb(() => startSubscriptionSync(db, subscriptionId)));
    const snapshot = await fetchSnapshot(subscriptionId);
    const owner = await resolveOwner(linked, snapshot, ownerHint, onDb);
    if (!owner) return null;
    // The row that names this subscription is the owner's row: no second read. It may be behind by the
    // time the transaction locks it; `apply` then finds a stored subscription nobody fetched and `commit`
    // fetches it and tries again, as for any row that changed in between.
    const isLinkedOwner = linked !== null && linked.accountId === owner.accountId;
    const row = isLinkedOwner ? linked : await onDb(() => getSubscription(db, owner.accountId));
    // An account named by id must exist; one named by its user is made on first contact (createAndLock).
    if (!row && owner.personalUserId === null) return null;
    const stored = new Map<string, StripeSubscriptionSnapshot | null>();
    const toConfirm = row ? await onDb(() => duplicates.storedToConfirm(db, row, snapshot)) : null;
    if (toConfirm) stored.set(toConfirm, await duplicates.fetchStored(toConfirm));
    const dealRunLimits = await dealRunLimitsOf(owner.accountId, [snapshot, ...stored.values()], onDb);
    return { ticket, owner, snapshot, stored, dealRunLimits };
  }

  /**
   * The account's deal prices and limits, when one of these subscriptions is on a price the catalog
   * doesn't know (a deal's price is never a catalog price): the stored one's counts too, since a deal
   * that moved the stored subscription off its plan, its webhook not processed yet, must still rank as
   * ENTERPRISE against a new Checkout. Otherwise none are read (most syncs).
   */
  async function dealRunLimitsOf(
    accountId: string,
    snapshots: ReadonlyArray<StripeSubscriptionSnapshot | null>,
    onDb: DbStep,
  ): Promise<Map<string, number>> {
    const isDealPossible = snapshots.some(
      (fetched) => fetched?.priceId != null && planForPrice(settings, fetched.priceId) === null,
    );
    const deals = isDealPossible ? await onDb(() => listEnterpriseDeals(db, accountId)) : [];
    return new Map(deals.map((deal) => [deal.stripePriceId, deal.runLimit]));
  }

  /**
   * Runs `work` in a transaction (opened by `transact`). When the locked row changed since `prepare`,
   * the transaction is rolled back, what is missing fetched with none open, and `work` run again (with
   * `prepared` updated in place: `work` reads it): a stored subscription nobody fetched
   * (StoredSubscriptionMoved) is fetched; a row a newer sync moved to another subscription
   * (IncomingSnapshotOutdated) makes the whole sync prepare again, a new ticket and a new fetch.
   */
  async function commit<T>(
    prepared: PreparedSync | null,
    work: (tx: Database) => Promise<T>,
    transact: DbStep = direct,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await transact(() => db.transaction(work));
      } catch (error) {
        const isRetryable =
          error instanceof StoredSubscriptionMoved || error instanceof IncomingSnapshotOutdated;
        if (!isRetryable || !prepared || attempt >= MAX_COMMIT_ATTEMPTS) throw error;
        if (error instanceof IncomingSnapshotOutdated) {
          await prepareAgain(prepared, transact);
          continue;
        }
        prepared.stored.set(error.subscriptionId, await duplicates.fetchStored(error.subscriptionId));
        const { owner, snapshot, stored } = prepared;
        prepared.dealRunLimits = await dealRunLimitsOf(
          owner.accountId,
          [snapshot, ...stored.values()],
          direct,
        );
      }
    }
  }

  /**
   * From scratch, with no transaction open: a new ticket, the incoming subscription fetched again, then
   * what the duplicate check needs for the row as it is now. The owner found before is the hint (the
   * linked row still comes first). Replaces `prepared`'s contents: the caller's `work` holds it.
   */
  async function prepareAgain(prepared: PreparedSync, onDb: DbStep): Promise<void> {
    const subscriptionId = prepared.snapshot.id;
    const again = await prepare(subscriptionId, prepared.owner, onDb);
    if (!again) {
      throw new PermanentWebhookError(
        'account_not_found',
        `No Tollgate account owns subscription ${subscriptionId} any more`,
      );
    }
    Object.assign(prepared, again);
  }

  /**
   * First contact from Stripe for a user Tollgate hasn't seen yet (a host-platform account): its user
   * and personal account are made. An account named by id is never made here.
   */
  async function createAndLock(tx: Database, owner: StripeOwner) {
    if (owner.personalUserId === null) throw new Error(`account ${owner.accountId} vanished`);
    await ensureHostUserAccount(tx, owner.personalUserId, now());
    const locked = await lockSubscriptionRow(tx, owner.accountId);
    if (!locked) throw new Error(`subscription row for ${owner.accountId} vanished`);
    return locked;
  }

  /** Inside the caller's transaction (a webhook's event row commits with the effect). No network call. */
  async function apply(
    tx: Database,
    prepared: PreparedSync,
    stamp: ChangeStamp = { at: now(), source: 'reconcile' },
  ): Promise<SyncResult> {
    const { owner, snapshot, ticket } = prepared;
    const { accountId } = owner;
    const { row, basics } = (await lockSubscriptionRow(tx, accountId)) ?? (await createAndLock(tx, owner));
    const context = accountContext(accountId, basics.name);
    const unchanged = {
      accountId,
      isChanged: false,
      isStale: false,
      previousSyncAt: row.stripeSyncedAt,
      after: null,
      context,
    };
    // A newer ticket on the row: a sync that started after this one wrote it. Of the same subscription,
    // its snapshot wins (any change at Stripe after it has an event of its own, with a newer ticket still).
    // Of another one, the row moved on after this sync took its ticket: what this snapshot says may be
    // older than what the row learned and no longer shows (this subscription canceled, then another
    // bought), so deciding on it could put back a subscription that ended. Fetched again (commit).
    const isOvertaken = row.stripeSyncTicket !== null && row.stripeSyncTicket > ticket;
    if (isOvertaken && row.stripeSubscriptionId !== snapshot.id) {
      throw new IncomingSnapshotOutdated(snapshot.id);
    }
    const isStale = isOvertaken && row.stripeSubscriptionId === snapshot.id;
    if (isStale) {
      // Nothing written, but the stored (newer) state is what an event's own notices are judged by.
      return {
        ...unchanged,
        isStale: true,
        cancellations: [],
        after: toSubscriptionState(row, basics),
      };
    }
    const state = toSubscriptionState(row, basics);
    const { decision, isRecorded, cancellations } = await duplicates.check(
      tx,
      accountId,
      row,
      snapshot,
      prepared.stored,
      prepared.dealRunLimits,
    );
    if (decision.kind === 'keep-stored') {
      // The incoming subscription is the duplicate: it must not touch the account (nor its period).
      return { ...unchanged, isChanged: isRecorded, cancellations };
    }
    // The prices that sell this account its plan: a deal's (made for this very account by an operator:
    // ENTERPRISE, whatever its kind) and the catalog prices of the plans its kind may buy.
    const isOwnPrice = (priceId: string) => {
      if (prepared.dealRunLimits.has(priceId)) return true;
      const plan = planForPrice(settings, priceId);
      return plan !== null && isPlanForAccountKind(plan, state.accountKind);
    };
    // Any other price (set in the dashboard, or switched to in a Customer Portal that offered it) never
    // grants a plan the kind may not hold: a personal account keeps its plan (null), a team gets none
    // (FREE, i.e. NO_PLAN), since TEAM's pool is only ever billed per member. See planGrantedByPrice.
    const planOf = (priceId: string): PlanId | null =>
      prepared.dealRunLimits.has(priceId)
        ? 'ENTERPRISE'
        : planGrantedByPrice(state.accountKind, planForPrice(settings, priceId));
    const next = withDealRunLimit(
      keepDeletedCustomerUnlinked(row, applyStripeSubscription(state, snapshot, planOf, now())),
      prepared.dealRunLimits,
    );
    const isStored = next.stripeSubscriptionId === snapshot.id;
    // The flag (for operators to act on) describes the stored subscription only: an ended one on an
    // old price, synced after it, would set it, and the next sync of the stored one clear it again.
    const isUnknownPrice = isStored && snapshot.priceId !== null && !isOwnPrice(snapshot.priceId);
    if (isUnknownPrice) {
      const outcome = state.accountKind === 'team' ? 'no plan granted' : 'plan kept';
      deps.logger.warn(`stripe subscription uses a price this account may not hold; ${outcome}`, {
        accountId,
        subscriptionId: snapshot.id,
        priceId: snapshot.priceId,
      });
    }
    const patch = {
      ...toSubscriptionPatch(next),
      unknownStripePriceId: isStored ? (isUnknownPrice ? snapshot.priceId : null) : row.unknownStripePriceId,
      // What Stripe confirmed for the stored subscription's seats (the seat sync compares it).
      stripeQuantity: isStored ? snapshot.quantity : row.stripeQuantity,
      // Overage is admitted only on a subscription that carries the metered item: Stripe's word on the
      // stored one (a new subscription has none until it gets one; see overageBillable).
      overageItemSubscriptionId: isStored ? overageItemOf(snapshot) : row.overageItemSubscriptionId,
    };
    // Only what differs from the row locked in this transaction (the rest already is so): most events
    // repeat what is stored, and a full patch cost ~0.1 ms to build (webhook bench).
    const changed = changedFields(row, patch);
    const isChanged = isRecorded || Object.keys(changed).length > 0;
    // The ticket describes the stored subscription's snapshot: only when this one is now stored.
    const stripeSyncTicket = isStored ? ticket : row.stripeSyncTicket;
    await updateSubscription(tx, accountId, {
      ...changed,
      stripeSyncTicket,
      stripeSyncedAt: now(),
      updatedAt: now(),
    });
    for (const seen of historySamples(snapshot, stamp, now())) {
      await recordSubscriptionChange(tx, {
        accountId,
        stripeSubscriptionId: snapshot.id,
        at: seen.at,
        source: stamp.source,
        first: firstHistoryStamp(seen.subscription, { at: seen.at, source: stamp.source }),
        state: historyStateOf(
          seen.subscription,
          (seen.subscription.priceId && planOf(seen.subscription.priceId)) || next.plan,
        ),
      });
    }
    if (isDealTakingEffect(state, next, prepared.dealRunLimits) && next.stripePriceId) {
      await clearOverrideForDealInEffect(tx, accountId, next.stripePriceId, now());
    }
    // Last: the period row's lock is held only until this transaction commits.
    await writePeriodLimit(tx, accountId, state, next);
    // In this transaction: the notices commit with the change they announce, or not at all.
    for (const notice of transitionNotices(context, state, next)) await notify(tx, notice, now());
    return { ...unchanged, isChanged, cancellations, after: next };
  }

  function overageItemOf(snapshot: StripeSubscriptionSnapshot): string | null {
    const priceId = settings.overage?.priceId;
    return priceId !== undefined && snapshot.itemPriceIds.includes(priceId) ? snapshot.id : null;
  }

  function accountContext(accountId: string, name: string | null): AccountContext {
    return {
      accountId,
      accountName: displayAccountName(name),
      appUrl: deps.config.appUrl,
      graceDays: deps.config.paymentGraceDays,
      now: now(),
    };
  }

  /** The new plan's limit, where admission reads it (see applyPeriodLimit). */
  async function writePeriodLimit(
    tx: Database,
    accountId: string,
    before: SubscriptionState,
    after: SubscriptionState,
  ): Promise<void> {
    const at = now();
    const options = { graceDays: deps.config.paymentGraceDays };
    // An operator's overrides sit on top of what Stripe says: a sync never undoes a comp or a limit.
    const overrides = await getAccountOverrides(tx, accountId);
    const previous = resolveEntitlement({ ...before, overrides }, at, options);
    const current = resolveEntitlement({ ...after, overrides }, at, options);
    if (previous.limit === current.limit && samePeriod(previous.period, current.period)) return;
    await applyPeriodLimit(tx, {
      accountId,
      period: current.period,
      limit: current.limit,
      // A paid or trial period that is left never comes back (a new subscription has a new period), so
      // it is closed; a FREE anniversary period may (after a trial, say) and keeps its limit.
      previousPeriodStart: previous.plan === 'FREE' ? null : previous.period.start,
    });
  }

  /**
   * A sync on its own (reconciliation): prepared with no transaction open, applied in a short one,
   * then the duplicates it returned are canceled (after commit).
   */
  async function sync(
    subscriptionId: string,
    ownerHint: StripeOwner | null = null,
  ): Promise<SyncResult | null> {
    const prepared = await prepare(subscriptionId, ownerHint);
    if (!prepared) {
      deps.logger.warn('stripe subscription belongs to no Tollgate account; ignored', { subscriptionId });
      return null;
    }
    const result = await commit(prepared, (tx) => apply(tx, prepared));
    await duplicates.cancel(result.cancellations);
    return result;
  }

  return { prepare, commit, apply, sync, cancelDuplicates: duplicates.cancel };
}

/**
 * What the history learns from a sync, and as of when, oldest first. An event that carries the
 * subscription says how it was at the event's time; the fetched snapshot says how it is now, at the
 * sync's clock, so the latest row is Stripe's current state after any sync. (Dating the fetched state by
 * the event's time wrote a late event's today as weeks ago: a cancellation dated before the plan change
 * it followed, which was then lost.)
 */
function historySamples(
  fetched: StripeSubscriptionSnapshot,
  stamp: ChangeStamp,
  now: Date,
): { subscription: StripeSubscriptionSnapshot; at: Date }[] {
  if (stamp.source !== 'webhook') return [{ subscription: fetched, at: stamp.at }];
  const current = { subscription: fetched, at: now };
  const isCarried = stamp.observed?.id === fetched.id && stamp.at.getTime() <= now.getTime();
  return stamp.observed && isCarried ? [{ subscription: stamp.observed, at: stamp.at }, current] : [current];
}

/**
 * The account's subscription moves onto a deal's price, live: a deal made incomplete (a declined card,
 * never the account's subscription while incomplete) whose invoice was paid later. Its limit then
 * replaces the account's override. Not when the stored subscription was already on that price (unpaid,
 * then paid again: an override an operator set meanwhile stays, as a sync never undoes one).
 */
function isDealTakingEffect(
  before: SubscriptionState,
  after: SubscriptionState,
  dealRunLimits: ReadonlyMap<string, number>,
): boolean {
  const price = after.stripePriceId;
  return (
    after.plan === 'ENTERPRISE' &&
    price !== null &&
    dealRunLimits.has(price) &&
    isLiveStatus(after.status) &&
    before.stripePriceId !== price
  );
}

/**
 * A subscription's first history row is dated from its start at Stripe (`created`), not from when
 * Tollgate first saw it: a subscription older than the history (written by reconciliation: a backfill)
 * or whose first event came late still counts from the day it began.
 */
function firstHistoryStamp(snapshot: StripeSubscriptionSnapshot, stamp: ChangeStamp): ChangeStamp {
  const at = snapshot.created.getTime() < stamp.at.getTime() ? snapshot.created : stamp.at;
  return { at, source: stamp.source === 'reconcile' ? 'backfill' : stamp.source };
}

/**
 * On a deal's price, the account's ENTERPRISE limit is that deal's: it belongs to the subscription, so
 * it ends with it (a canceled deal leaves FREE's limit, not the deal's) and a new deal brings its own.
 */
function withDealRunLimit(
  next: SubscriptionState,
  dealRunLimits: ReadonlyMap<string, number>,
): SubscriptionState {
  const dealLimit = next.stripePriceId === null ? undefined : dealRunLimits.get(next.stripePriceId);
  return next.plan === 'ENTERPRISE' && dealLimit !== undefined
    ? { ...next, customRunLimit: dealLimit }
    : next;
}

/**
 * A customer Stripe deleted stays unlinked: the snapshot of one of its (now canceled) subscriptions
 * names it, but the account keeps the customer it has now (none, or the one its next checkout created).
 */
function keepDeletedCustomerUnlinked(row: SubscriptionRow, next: SubscriptionState): SubscriptionState {
  if (row.deletedStripeCustomerId === null || next.stripeCustomerId !== row.deletedStripeCustomerId) {
    return next;
  }
  return { ...next, stripeCustomerId: row.stripeCustomerId };
}

/**
 * The subscription as revenue analytics reads it: the price Stripe states on the plan's item (a deal's
 * custom price too), else the catalog's (also for a price in another currency than US dollars: see
 * parseStripeSubscription's recurringPrice); one seat unless Stripe says how many. Stripe's discounts are
 * not read yet (0): MRR is before coupons.
 */
function historyStateOf(snapshot: StripeSubscriptionSnapshot, plan: PlanId) {
  return {
    status: snapshot.status,
    plan,
    priceCents: snapshot.recurringPrice?.unitAmountCents ?? getPlan(plan).priceCents ?? 0,
    interval: snapshot.recurringPrice?.interval ?? ('month' as const),
    quantity: snapshot.quantity ?? 1,
    discountCents: 0,
  };
}

function samePeriod(a: { start: Date; end: Date }, b: { start: Date; end: Date }): boolean {
  return a.start.getTime() === b.start.getTime() && a.end.getTime() === b.end.getTime();
}

/** The patch's fields whose value differs from the row's (dates compared by instant). */
function changedFields<Patch extends Record<string, unknown>>(
  row: Record<string, unknown>,
  patch: Patch,
): Partial<Patch> {
  const changed: Partial<Patch> = {};
  for (const key of Object.keys(patch) as (keyof Patch & string)[]) {
    if (isDifferent(row[key], patch[key])) changed[key] = patch[key];
  }
  return changed;
}

function isDifferent(current: unknown, value: unknown): boolean {
  if (current instanceof Date || value instanceof Date) {
    return (current as Date | null)?.getTime() !== (value as Date | null)?.getTime();
  }
  return current !== value;
}

export type SubscriptionSync = ReturnType<typeof createSubscriptionSync>;
