import {
  claimFailedEvent,
  isEventRecorded,
  linkStripeCustomer,
  recordEventFailure,
  recordEventOnce,
  setEventAccount,
  startSubscriptionSync,
  recordFailedEventOnce,
  unlinkStripeCustomer,
  type Database,
  type RecordEventInput,
  type StartedSync,
} from '@tollgate/db';
import { AppError, type StripeEventEnvelope } from '@tollgate/domain';
import type Stripe from 'stripe';
import type { ApiDeps } from '../config';
import { infallibleMetrics, type WebhookMetricOutcome } from '../metrics';
import { eventNotices } from '../notifications/event-notices';
import { notify } from '../notifications/notifier';
import { createConcurrencyLimit } from './concurrency-limit';
import { createInFlightEvents } from './in-flight-events';
import type { DuplicateCancellation } from './duplicate-subscriptions';
import { isPlanPriceOf, type BillingSettings } from './stripe-settings';
import { createUpgradeRollback } from './upgrade-rollback';
import type { RunPackPurchases } from './run-pack-purchases';
import type { DbStep, PreparedSync, SubscriptionSync } from './subscription-sync';
import {
  declinedUpdateInvoiceOf,
  observedSubscriptionOf,
  parseEnvelope,
  planOf,
  recordOf,
  usableString,
  type WebhookPlan,
} from './webhook-events';
import { PermanentWebhookError, permanentFailureOf, type WebhookFailureCode } from './webhook-errors';
import { isResourceMissing } from './stripe-errors';

export type WebhookOutcome =
  | { status: 'processed'; eventId: string; type: string; accountId: string | null; isStale?: boolean }
  | { status: 'duplicate'; eventId: string; type: string }
  | { status: 'ignored'; eventId: string; type: string }
  /** Can never be applied as delivered: recorded with the reason, listed for operators (answered 200). */
  | {
      status: 'failed';
      eventId: string;
      type: string;
      failure: { code: WebhookFailureCode; reason: string };
    };

export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

/** Webhook transactions at once when the config doesn't say (a pool of 10 keeps 6 for everything else). */
export const DEFAULT_WEBHOOK_CONCURRENCY = 4;

const MAX_REASON_LENGTH = 1000;

type Mode = 'delivery' | 'replay';

/**
 * Verifies and applies one Stripe webhook delivery. The event id is stored in the same transaction as
 * its effect: a duplicate is a no-op, and a retryable failure rolls both back so the 5xx makes Stripe
 * retry. Stripe is called before that transaction opens (see SubscriptionSync), and every database step
 * of webhook work goes through one concurrency limit, so a burst of deliveries holds a bounded share
 * of the pool and none while Stripe answers. A permanent failure (see PermanentWebhookError) is stored
 * with its reason and answered 200; `replay` applies such an event again, re-fetched from Stripe.
 */
export function createWebhookHandler(
  deps: ApiDeps,
  settings: BillingSettings,
  sync: SubscriptionSync,
  packs: RunPackPurchases,
) {
  const { db, logger, now } = deps;
  const metrics = infallibleMetrics(deps.metrics);
  const limit = createConcurrencyLimit(deps.config.webhookConcurrency ?? DEFAULT_WEBHOOK_CONCURRENCY);
  const onDb: DbStep = (work) => limit.run(work);
  const inFlight = createInFlightEvents();
  const upgrades = createUpgradeRollback(settings, logger);

  function verifySignature(rawBody: Buffer | string, signature: string | undefined): void {
    if (!signature) throw new WebhookSignatureError('Missing Stripe-Signature header');
    const { webhooks } = settings.stripe;
    try {
      if (!webhooks.signature) throw new Error('the Stripe SDK has no signature verifier');
      webhooks.signature.verifyHeader(
        rawBody,
        signature,
        settings.webhookSecret,
        settings.webhookToleranceSeconds,
      );
    } catch (error) {
      throw new WebhookSignatureError((error as Error).message);
    }
  }

  async function handleWebhook(
    rawBody: Buffer | string,
    signature: string | undefined,
  ): Promise<WebhookOutcome> {
    verifySignature(rawBody, signature);
    // Signed: whatever follows came from Stripe (or whoever holds the secret). A body Tollgate can't
    // read will never become readable by retrying, so it is a permanent failure, not a 500.
    const json = parseJson(rawBody);
    const record = recordOf(json, rawBody, now());
    const duplicate = (): WebhookOutcome => ({ status: 'duplicate', eventId: record.id, type: record.type });
    return observed(record, 'delivery', () =>
      inFlight.once(record.id, () => settle(record, 'delivery', () => deliver(json, record)), duplicate),
    );
  }

  /** A signed delivery's body, applied once it reads as a Stripe event (else a permanent failure). */
  async function deliver(json: unknown, record: RecordEventInput): Promise<WebhookOutcome> {
    if (json === undefined) throw new PermanentWebhookError('malformed_event', 'The body is not JSON');
    const envelope = parseEnvelope(json);
    if (usableString(envelope.id) === null || usableString(envelope.type) === null) {
      throw new PermanentWebhookError('malformed_event', 'Malformed Stripe event (id or type unusable)');
    }
    return apply(envelope, record, 'delivery');
  }

  /**
   * An operator's replay of an event (admin.replayWebhook), once its cause is fixed: the event is
   * fetched from Stripe again (stripe.events.retrieve, kept there 30 days) and applied like a delivery.
   * A recorded failure is taken over; an event never received is applied too; one already applied is a
   * duplicate. Retryable errors are thrown to the operator.
   */
  async function replay(eventId: string): Promise<WebhookOutcome> {
    let event: Stripe.Event;
    try {
      event = await settings.stripe.events.retrieve(eventId);
    } catch (error) {
      if (isResourceMissing(error)) {
        throw new AppError('NOT_FOUND', `Stripe has no event ${eventId} (it keeps events for 30 days)`);
      }
      throw error;
    }
    const json: unknown = JSON.parse(JSON.stringify(event));
    const record = { ...recordOf(json, JSON.stringify(json), now()), id: eventId };
    return observed(record, 'replay', () =>
      settle(record, 'replay', () => apply(parseEnvelope(json), record, 'replay')),
    );
  }

  /**
   * Counts the settled event for the operator's metrics (a retryable throw is `error`). The lag behind
   * Stripe's `created` is told only for a delivery seen for the first time: a duplicate's or a replay's
   * age says nothing about how far behind webhook processing is. A delivery whose signature fails is
   * not an event (its type can't be trusted): it shows as a 400 in the HTTP metrics only.
   */
  async function observed(
    record: RecordEventInput,
    mode: Mode,
    work: () => Promise<WebhookOutcome>,
  ): Promise<WebhookOutcome> {
    const type = metricTypeOf(record.type);
    let outcome: WebhookOutcome;
    try {
      outcome = await work();
    } catch (error) {
      metrics.webhookEvent(type, 'error', null);
      throw error;
    }
    const status: WebhookMetricOutcome = outcome.status;
    const isFirstDelivery = mode === 'delivery' && status !== 'duplicate';
    const lagSeconds = Math.max(0, (now().getTime() - record.stripeCreatedAt.getTime()) / 1000);
    metrics.webhookEvent(type, status, isFirstDelivery ? lagSeconds : null);
    return outcome;
  }

  /** Runs `work`; a permanent failure is recorded and becomes the outcome, anything else is thrown. */
  async function settle(
    record: RecordEventInput,
    mode: Mode,
    work: () => Promise<WebhookOutcome>,
  ): Promise<WebhookOutcome> {
    try {
      return await work();
    } catch (error) {
      const failure = permanentFailureOf(error);
      if (!failure) throw error;
      return recordFailure(record, failure, mode);
    }
  }

  async function recordFailure(
    record: RecordEventInput,
    error: PermanentWebhookError,
    mode: Mode,
  ): Promise<WebhookOutcome> {
    const failure = { code: error.code, reason: storableReason(error.message) };
    const isNew = await onDb(() => recordFailedEventOnce(db, { ...record, failure }));
    if (!isNew && mode === 'delivery') return { status: 'duplicate', eventId: record.id, type: record.type };
    if (!isNew) await onDb(() => recordEventFailure(db, record.id, failure, now()));
    logger.warn('stripe webhook can never be applied as delivered: recorded for operators, answered 200', {
      eventId: record.id,
      type: record.type,
      mode,
      failureCode: failure.code,
      reason: failure.reason,
    });
    return { status: 'failed', eventId: record.id, type: record.type, failure };
  }

  async function apply(
    envelope: StripeEventEnvelope,
    record: RecordEventInput,
    mode: Mode,
  ): Promise<WebhookOutcome> {
    const { id: eventId, type } = record;
    const plan = planOf(envelope);
    if (plan.kind === 'nothing' && mode === 'delivery') return recordOnly(plan, record);
    // A redelivery of a stored event costs one indexed read: no Stripe call, no transaction. For a
    // subscription, the same statement starts its sync (the ticket and the linked row).
    const started =
      plan.kind === 'sync'
        ? await onDb(() =>
            startSubscriptionSync(db, plan.subscriptionId, mode === 'delivery' ? eventId : null),
          )
        : null;
    const isDuplicate =
      mode === 'delivery' &&
      (started ? started.isEventRecorded : await onDb(() => isEventRecorded(db, eventId)));
    if (isDuplicate) return { status: 'duplicate', eventId, type };
    // A declined plan upgrade is undone at Stripe first (no transaction open; a Stripe error is a 500,
    // so Stripe redelivers and the rollback resumes where it stopped), so the sync below already
    // fetches the subscription back on the plan that was paid for.
    const declinedUpdate = declinedUpdateInvoiceOf(envelope);
    if (declinedUpdate) await upgrades.rollBackDeclinedUpgrade(declinedUpdate);
    const prepared = plan.kind === 'sync' ? await prepareSync(plan, started) : null;
    // Packs: Stripe's current word on the session, charge or dispute, fetched before the transaction opens.
    const packSession = plan.kind === 'pack-payment' ? await packs.prepareSession(plan.sessionId) : null;
    const packRefund = plan.kind === 'pack-refund' ? await packs.prepareRefund(plan.chargeId) : null;
    const packDispute = plan.kind === 'pack-dispute' ? await packs.prepareDispute(plan.disputeId) : null;
    // The account's timeline lists the Stripe events applied to it. When the account is known before
    // the transaction (a subscription's owner, a pack's buyer), the event row is inserted naming it: a
    // processed sync or pack payment is always about that account, and anything else rolls back.
    const knownAccountId = prepared?.owner.accountId ?? packSession?.accountId ?? null;
    let cancellations: DuplicateCancellation[] = [];
    const outcome = await sync.commit(
      prepared,
      async (tx) => {
        const applied = await applyInTransaction(tx);
        const isNamed =
          mode === 'delivery' && applied.status === 'processed' && applied.accountId === knownAccountId;
        if (applied.status === 'processed' && applied.accountId && !isNamed) {
          await setEventAccount(tx, eventId, applied.accountId);
        }
        return applied;
      },
      onDb,
    );
    // After the commit: a Stripe call never holds the account's lock. It records its own failures.
    await sync.cancelDuplicates(cancellations);
    return outcome;

    async function applyInTransaction(tx: Database): Promise<WebhookOutcome> {
      const isClaimed =
        mode === 'replay'
          ? (await claimFailedEvent(tx, eventId, now())) || (await recordEventOnce(tx, record))
          : await recordEventOnce(tx, { ...record, accountId: knownAccountId });
      if (!isClaimed) return { status: 'duplicate', eventId, type };
      if (plan.kind === 'customer-deleted') {
        const accountId = await unlinkStripeCustomer(tx, plan.customerId, now());
        if (accountId)
          logger.info('stripe customer deleted: unlinked from its account', { eventId, accountId });
        return { status: 'processed', eventId, type, accountId };
      }
      if (plan.kind === 'pack-payment') {
        if (!packSession) throw new Error('a pack payment reached its transaction unprepared');
        const { isCredited } = await packs.applySession(tx, packSession);
        if (isCredited) {
          logger.info('run pack credited', {
            eventId,
            accountId: packSession.accountId,
            packId: packSession.packId,
          });
        }
        return { status: 'processed', eventId, type, accountId: packSession.accountId };
      }
      if (plan.kind === 'pack-refund') {
        const clawback = packRefund ? await packs.applyRefund(tx, packRefund) : null;
        if (!clawback) return { status: 'ignored', eventId, type };
        if (clawback.removedNow > 0 || clawback.owed > 0) {
          logger.info('run pack refund clawed back', { eventId, ...clawback });
        }
        return { status: 'processed', eventId, type, accountId: clawback.accountId };
      }
      if (plan.kind === 'pack-dispute') {
        const clawback = packDispute ? await packs.applyDispute(tx, packDispute) : null;
        const { disputeId } = plan;
        if (!clawback) {
          // A subscription invoice's charge, or a pack not credited yet (it starts with the dispute).
          logger.warn('stripe dispute of a payment that credited no run pack: nothing to claw back', {
            eventId,
            disputeId,
            paymentIntentId: packDispute?.paymentIntentId ?? null,
          });
          return { status: 'ignored', eventId, type };
        }
        // A won dispute gives nothing back by itself: an operator may grant the runs (admin.grantCredits).
        logger.info('run pack dispute applied', {
          eventId,
          disputeId,
          status: packDispute?.status,
          ...clawback,
        });
        return { status: 'processed', eventId, type, accountId: clawback.accountId };
      }
      if (plan.kind === 'nothing') {
        if (!plan.isHandledType)
          logger.info('stripe event type not handled; recorded and ignored', { eventId, type });
        return { status: 'ignored', eventId, type };
      }
      if (!prepared) throw new Error('a subscription event reached its transaction unprepared');
      await linkCheckoutCustomer(tx, plan, eventId);
      const result = await sync.apply(tx, prepared, {
        at: record.stripeCreatedAt,
        source: 'webhook',
        observed: observedSubscriptionOf(envelope, isPlanPriceOf(settings)),
      });
      cancellations = result.cancellations;
      if (result.after) {
        for (const notice of eventNotices(envelope, result.context, result.after)) {
          await notify(tx, notice, now());
        }
      }
      return { status: 'processed', eventId, type, accountId: result.accountId, isStale: result.isStale };
    }
  }

  /**
   * An event with nothing to apply is only stored: one INSERT … ON CONFLICT DO NOTHING, committed on its
   * own, is both the duplicate check and the record (no read first, no transaction around one row).
   * A replay takes the transaction path: it may have to take over a recorded failure.
   */
  async function recordOnly(
    plan: Extract<WebhookPlan, { kind: 'nothing' }>,
    record: RecordEventInput,
  ): Promise<WebhookOutcome> {
    const { id: eventId, type } = record;
    if (!(await onDb(() => recordEventOnce(db, record)))) return { status: 'duplicate', eventId, type };
    if (!plan.isHandledType)
      logger.info('stripe event type not handled; recorded and ignored', { eventId, type });
    return { status: 'ignored', eventId, type };
  }

  async function prepareSync(
    plan: Extract<WebhookPlan, { kind: 'sync' }>,
    started: StartedSync | null,
  ): Promise<PreparedSync> {
    const prepared = await sync.prepare(plan.subscriptionId, plan.ownerHint, onDb, started);
    if (prepared) return prepared;
    throw new PermanentWebhookError(
      'account_not_found',
      `No Tollgate account owns subscription ${plan.subscriptionId} (no linked row, client_reference_id, ` +
        'metadata.accountId, metadata.userId or known customer)',
    );
  }

  /** Checkout tells us whose customer this is: link it now, before the subscription sync looks. */
  async function linkCheckoutCustomer(
    tx: Database,
    plan: Extract<WebhookPlan, { kind: 'sync' }>,
    eventId: string,
  ): Promise<void> {
    const { ownerHint, customerId } = plan;
    if (!ownerHint || !customerId) return;
    // In a savepoint: a customer already linked to another account must not abort the transaction.
    await tx
      .transaction((savepoint) => linkStripeCustomer(savepoint, ownerHint.accountId, customerId, now()))
      .catch((error: unknown) =>
        logger.warn('checkout customer not linked', { eventId, error: String(error) }),
      );
  }

  return { handleWebhook, replay, concurrency: limit };
}

export type WebhookHandler = ReturnType<typeof createWebhookHandler>;

/** Stripe's event types (`customer.subscription.updated`) as a label; anything else is one `unknown`. */
function metricTypeOf(type: string): string {
  return /^[a-z0-9_.]{1,80}$/.test(type) ? type : 'unknown';
}

function parseJson(rawBody: Buffer | string): unknown {
  try {
    return JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A reason PostgreSQL can store and an operator can read: no NUL, bounded. */
function storableReason(message: string): string {
  const clean = message.replaceAll('\0', '');
  return clean.length > MAX_REASON_LENGTH ? `${clean.slice(0, MAX_REASON_LENGTH)}…` : clean;
}
