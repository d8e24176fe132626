import {
  appendAudit,
  countRunsPerDay,
  findAccount,
  findUserById,
  getAccountOverrides,
  getSubscription,
  grantPlatformRole,
  hasPendingMeterBatches,
  listAccountMembersWithEmail,
  listAccountTimeline,
  revokeCreditGrant,
  revokePlatformRole,
  searchCustomers,
  stripeEvents,
  type AccountRow,
  type Database,
  type PlatformRole,
  type SubscriptionRow,
} from '@tollgate/db';
import { AppError, MS_PER_DAY, isTerminalStatus } from '@tollgate/domain';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import Stripe from 'stripe';
import type { z } from 'zod';
import { requireStripeBilling, type StripeBilling } from '../billing';
import { releaseScheduledChange } from '../billing/scheduled-changes';
import { ownerOfAccount } from '../billing/stripe-owner';
import type { ApiDeps } from '../config';
import { inAppText } from '../notifications/in-app-text';
import type { customerDetailSchema, CustomerSearch } from '../schemas/console-schemas';
import type { CreditService } from './credit-service';
import { findRoleGrantee } from './operator-service';
import type { StaffActor } from './override-service';
import type { SpendService } from './spend-service';
import { isResourceMissing } from '../billing/stripe-errors';

/** What the console's procedures use: the process's deps and the services it already built. */
export interface ConsoleContext {
  deps: ApiDeps;
  services: { credits: CreditService; spend: SpendService; stripe: StripeBilling | null };
}

const USAGE_DAYS = 30;
const INVOICE_LIMIT = 24;

export async function requireConsoleAccount(db: Database, accountId: string): Promise<AccountRow> {
  const account = await findAccount(db, accountId);
  if (!account) throw new AppError('NOT_FOUND', `No account ${accountId}`);
  return account;
}

/** admin.customers: one statement in the repository; here only the page arithmetic. */
export async function searchConsoleCustomers(c: ConsoleContext, input: CustomerSearch) {
  const { total, rows } = await searchCustomers(c.deps.db, {
    ...input,
    offset: (input.page - 1) * input.pageSize,
    limit: input.pageSize,
    now: c.deps.now(),
  });
  return { total, page: input.page, pageSize: input.pageSize, rows };
}

/** admin.customer: the account, its subscription and overrides, members, balance, usage, invoices, timeline. */
export async function consoleCustomer(
  c: ConsoleContext,
  accountId: string,
): Promise<z.input<typeof customerDetailSchema>> {
  const { db } = c.deps;
  const account = await requireConsoleAccount(db, accountId);
  const subscription = await getSubscription(db, accountId);
  if (!subscription) throw new AppError('NOT_FOUND', `No subscription for account ${accountId}`);
  const at = c.deps.now();
  const fromDay = utcDay(new Date(at.getTime() - (USAGE_DAYS - 1) * MS_PER_DAY));
  const tenant = { accountId, userId: account.createdByUserId, kind: account.kind };
  const [owner, overrides, members, balance, spend, runsPerDay, invoices, timeline] = await Promise.all([
    findUserById(db, account.createdByUserId),
    getAccountOverrides(db, accountId),
    listAccountMembersWithEmail(db, accountId),
    // The same computation as usage.balance, for the account (the owner stands as its member).
    c.services.credits.balance(tenant),
    // What the account's admins see in Settings: overage, both caps, this period's spend.
    c.services.spend.overview(tenant),
    countRunsPerDay(db, accountId, fromDay),
    listInvoices(c, subscription),
    listAccountTimeline(db, accountId, { notificationTitle: (kind, data) => inAppText(kind, data).title }),
  ]);
  return {
    account: {
      id: account.id,
      kind: account.kind,
      name: account.name,
      ownerEmail: owner?.email ?? '',
      createdAt: account.createdAt,
    },
    subscription: {
      plan: subscription.plan,
      status: subscription.status,
      currentPeriodStart: subscription.currentPeriodStart,
      currentPeriodEnd: subscription.currentPeriodEnd,
      cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
      trialEnd: subscription.trialEnd,
      pastDueSince: subscription.pastDueSince,
      stripeCustomerId: subscription.stripeCustomerId,
      stripeSubscriptionId: subscription.stripeSubscriptionId,
    },
    overrides: overrides ?? {
      runLimit: null,
      compPlan: null,
      compFrom: null,
      compUntil: null,
      trialStart: null,
      trialEnd: null,
    },
    members,
    balance,
    spend,
    usagePerDay: Array.from({ length: USAGE_DAYS }, (_, index) => {
      const day = utcDay(new Date(at.getTime() - (USAGE_DAYS - 1 - index) * MS_PER_DAY));
      return { day, runs: runsPerDay.get(day) ?? 0 };
    }),
    invoices,
    timeline,
  };
}

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The customer's invoices at Stripe, newest first; null when Stripe isn't configured or can't answer. */
async function listInvoices(c: ConsoleContext, subscription: SubscriptionRow) {
  const stripe = c.deps.billing?.stripe;
  if (!c.services.stripe || !stripe || !subscription.stripeCustomerId) return null;
  try {
    const listed = await stripe.invoices.list({
      customer: subscription.stripeCustomerId,
      limit: INVOICE_LIMIT,
    });
    return listed.data.map((invoice) => ({
      id: invoice.id ?? '',
      number: invoice.number ?? null,
      status: invoice.status ?? null,
      totalCents: invoice.total,
      currency: invoice.currency,
      createdAt: new Date(invoice.created * 1000),
      hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    }));
  } catch (error) {
    c.deps.logger.warn('console: invoices could not be listed', {
      accountId: subscription.accountId,
      error: String(error),
    });
    return null;
  }
}

/**
 * A Stripe call from an operator's action: Stripe unreachable or failing is a 502 that says so
 * (nothing was changed by this call), not a 500; a request Stripe refuses is a 400 with its reason;
 * an object Stripe doesn't have is a 412.
 */
async function atStripe<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isResourceMissing(error)) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: `Stripe: ${error.message}`, cause: error });
    }
    // Stripe refusing this request (not failing): sending it again won't help, the operator reads why.
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      throw new AppError('BAD_REQUEST', `Stripe refused to ${what}: ${error.message}`);
    }
    if (error instanceof Stripe.errors.StripeError) {
      throw new TRPCError({
        code: 'BAD_GATEWAY',
        message: `Stripe could not ${what} (${error.type}): retry later`,
        cause: error,
      });
    }
    throw error;
  }
}

function subscriptionFacts(row: SubscriptionRow | null) {
  return row
    ? {
        plan: row.plan,
        status: row.status,
        cancelAtPeriodEnd: row.cancelAtPeriodEnd,
        currentPeriodEnd: row.currentPeriodEnd,
        stripeSubscriptionId: row.stripeSubscriptionId,
      }
    : null;
}

async function requireStripeSubscription(db: Database, accountId: string) {
  await requireConsoleAccount(db, accountId);
  const row = await getSubscription(db, accountId);
  if (!row?.stripeSubscriptionId) {
    throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'This account has no Stripe subscription' });
  }
  return { row, subscriptionId: row.stripeSubscriptionId };
}

function auditOf(c: ConsoleContext, actor: StaffActor, action: string, reason: string) {
  return {
    actorUserId: actor.userId,
    actorRole: actor.role,
    action,
    reason: reason.trim(),
    requestId: actor.requestId,
    at: c.deps.now(),
  };
}

/**
 * admin.revokeCredits: what the grant still holds is taken back (spent runs stay spent), with its audit
 * row, in one transaction under the grant's lock; the next authorization can't draw from it.
 */
export async function revokeCredits(
  c: ConsoleContext,
  actor: StaffActor,
  input: { accountId: string; grantId: string; reason: string },
) {
  const { db } = c.deps;
  const account = await requireConsoleAccount(db, input.accountId);
  const revoked = await db.transaction(async (tx) => {
    const outcome = await revokeCreditGrant(tx, input);
    if (outcome.kind === 'not_found')
      throw new AppError('NOT_FOUND', `No grant ${input.grantId} on this account`);
    if (outcome.kind === 'nothing_left')
      throw new AppError('CONFLICT', 'This grant holds nothing left to revoke');
    const facts = (grant: typeof outcome.before) => ({
      grantId: grant.id,
      units: grant.units,
      remaining: grant.remaining,
      clawbackUnits: grant.clawbackUnits,
      clawedBackUnits: grant.clawedBackUnits,
    });
    await appendAudit(tx, {
      ...auditOf(c, actor, 'revoke_credits', input.reason),
      accountId: input.accountId,
      before: facts(outcome.before),
      after: { ...facts(outcome.after), removedNow: outcome.removedNow },
    });
    return outcome.after;
  });
  c.deps.logger.info('credits revoked', {
    accountId: input.accountId,
    grantId: input.grantId,
    by: actor.userId,
  });
  const tenant = { accountId: account.id, userId: account.createdByUserId, kind: account.kind };
  const view = (await c.services.credits.balance(tenant)).grants.find((grant) => grant.id === revoked.id);
  if (!view) throw new AppError('INTERNAL', 'The revoked grant vanished');
  return view;
}

/** admin.resync: the account's Stripe subscription fetched again and applied by the webhooks' sync. */
export async function resyncAccount(
  c: ConsoleContext,
  actor: StaffActor,
  input: { accountId: string; reason: string },
) {
  const billing = requireStripeBilling(c.services.stripe);
  const { db } = c.deps;
  const { row, subscriptionId } = await requireStripeSubscription(db, input.accountId);
  const result = await atStripe('be reached to fetch the subscription', () =>
    billing.sync.sync(subscriptionId, ownerOfAccount(input.accountId)),
  );
  const after = await getSubscription(db, input.accountId);
  await appendAudit(db, {
    ...auditOf(c, actor, 'resync', input.reason),
    accountId: input.accountId,
    before: subscriptionFacts(row),
    after: subscriptionFacts(after),
  });
  return {
    isChanged: result?.isChanged ?? false,
    before: subscriptionFacts(row),
    after: subscriptionFacts(after),
  };
}

/**
 * A cancel-now bills the period's overage on its final invoice, so what the account ran over must be
 * at Stripe's meter first. A send that fails refuses the cancel (502, retry): canceled anyway, the
 * units not sent would be invoiced nowhere.
 */
async function reportOverageBeforeCancel(
  c: ConsoleContext,
  billing: StripeBilling,
  accountId: string,
): Promise<void> {
  const tally = await billing.meterReporter.flushAccountNow(accountId);
  // A batch another sender holds (its lease, the periodic pass) or one left in back-off is not
  // delivered yet either: the tally of this flush doesn't show it.
  const isPending = await hasPendingMeterBatches(c.deps.db, accountId);
  if (tally.retried + tally.abandoned + tally.lost > 0 || isPending) {
    throw new TRPCError({
      code: 'BAD_GATEWAY',
      message:
        "Stripe could not take the account's overage, so the subscription was not canceled: retry later",
    });
  }
}

/**
 * admin.cancelSubscription: canceled at Stripe (at the period's end, or now), then synced at once (the
 * webhook that follows finds it applied). The audit row is written once Stripe accepted the cancel,
 * even if the sync fails (the webhook or the reconciliation applies it then).
 */
export async function cancelAccountSubscription(
  c: ConsoleContext,
  actor: StaffActor,
  input: { accountId: string; atPeriodEnd: boolean; reason: string },
) {
  const billing = requireStripeBilling(c.services.stripe);
  const { db } = c.deps;
  const { row, subscriptionId } = await requireStripeSubscription(db, input.accountId);
  if (isTerminalStatus(row.status)) {
    throw new AppError('CONFLICT', `The subscription is already ${row.status}`);
  }
  const stripe = c.deps.billing?.stripe;
  if (!stripe) throw new AppError('BAD_REQUEST', 'Stripe billing is not configured on this server');
  if (!input.atPeriodEnd) await reportOverageBeforeCancel(c, billing, input.accountId);
  const canceled = await atStripe('cancel the subscription', async () => {
    if (!input.atPeriodEnd) {
      // A final invoice now, with the period's metered overage: without invoice_now Stripe drops the
      // un-invoiced usage of a subscription canceled mid-period. No proration credit (as before).
      return stripe.subscriptions.cancel(subscriptionId, { invoice_now: true, prorate: false });
    }
    await releaseScheduledChange(stripe, await stripe.subscriptions.retrieve(subscriptionId));
    return stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
  });
  try {
    await billing.sync.sync(subscriptionId, ownerOfAccount(input.accountId));
  } catch (error) {
    c.deps.logger.warn('console: sync after a cancel failed; the webhook applies it', {
      accountId: input.accountId,
      error: String(error),
    });
  }
  const after = await getSubscription(db, input.accountId);
  await appendAudit(db, {
    ...auditOf(c, actor, input.atPeriodEnd ? 'cancel_at_period_end' : 'cancel_subscription', input.reason),
    accountId: input.accountId,
    before: subscriptionFacts(row),
    after: {
      ...subscriptionFacts(after),
      stripe: { status: canceled.status, cancelAtPeriodEnd: canceled.cancel_at_period_end },
    },
  });
  return { before: subscriptionFacts(row), after: subscriptionFacts(after) };
}

/** operators.grant with its audit row, in one transaction. */
export async function grantRoleAudited(
  c: ConsoleContext,
  actor: StaffActor,
  input: { target: { userId: string } | { email: string }; role: PlatformRole; reason: string },
) {
  const { db } = c.deps;
  return db.transaction(async (tx) => {
    const target = input.target;
    const user = await findRoleGrantee(tx, target);
    const holder = await grantPlatformRole(tx, {
      userId: user.id,
      grantedBy: actor.userId,
      now: c.deps.now(),
      role: input.role,
    });
    if (!holder) throw new AppError('NOT_FOUND', 'No user with this id or email');
    if (holder.role !== input.role) {
      // Only an operator outranks the role asked for: it is never demoted by a grant.
      throw new AppError('CONFLICT', 'This user is an operator: revoke the role first to make them support');
    }
    await appendAudit(tx, {
      ...auditOf(c, actor, 'grant_platform_role', input.reason),
      accountId: null,
      before: { userId: user.id, role: user.platformRole },
      after: { userId: user.id, role: holder.role },
    });
    return {
      userId: holder.userId,
      email: holder.email,
      role: holder.role,
      grantedAt: holder.grantedAt,
      grantedBy: holder.grantedBy,
    };
  });
}

/**
 * operators.revoke with its audit row, in one transaction (nothing is written when it is refused). The
 * platform keys the user made are revoked with the role (a platform key acts for every account, and
 * works only while its maker could still make it): the audit row and the answer name them.
 */
export async function revokeRoleAudited(
  c: ConsoleContext,
  actor: StaffActor,
  input: { userId: string; reason: string },
) {
  const { db } = c.deps;
  return db.transaction(async (tx) => {
    const outcome = await revokePlatformRole(tx, input.userId, c.deps.now());
    if (outcome.kind === 'not_operator') throw new AppError('NOT_FOUND', 'This user is not an operator');
    if (outcome.kind === 'last_operator') {
      throw new AppError('CONFLICT', 'This is the last operator: grant the role to someone else first');
    }
    const { revokedApiKeyIds } = outcome;
    await appendAudit(tx, {
      ...auditOf(c, actor, 'revoke_platform_role', input.reason),
      accountId: null,
      before: { userId: input.userId, role: outcome.role },
      after: { userId: input.userId, role: null, revokedApiKeyIds },
    });
    return { userId: input.userId, revoked: true as const, revokedApiKeyIds };
  });
}

/** admin.replayWebhook with its audit row (after the replay: it calls Stripe, so no transaction spans it). */
export async function replayWebhookAudited(
  c: ConsoleContext,
  actor: StaffActor,
  input: { eventId: string; reason: string },
) {
  const billing = requireStripeBilling(c.services.stripe);
  const { db } = c.deps;
  const [before] = await db.select().from(stripeEvents).where(eq(stripeEvents.id, input.eventId));
  const outcome = await billing.replayWebhook(input.eventId);
  const accountId = outcome.status === 'processed' ? outcome.accountId : (before?.accountId ?? null);
  await appendAudit(db, {
    ...auditOf(c, actor, 'replay_webhook', input.reason),
    accountId,
    before: before
      ? {
          eventId: before.id,
          type: before.type,
          failureCode: before.failureCode,
          failureReason: before.failureReason,
        }
      : { eventId: input.eventId },
    after: outcome,
  });
  return outcome;
}

/** admin.reconcile with its audit row (its report is the `after`). */
export async function reconcileAudited(c: ConsoleContext, actor: StaffActor, input: { reason: string }) {
  const report = await requireStripeBilling(c.services.stripe).reconcile();
  await appendAudit(c.deps.db, {
    ...auditOf(c, actor, 'reconcile', input.reason),
    accountId: null,
    before: null,
    after: report,
  });
  return report;
}
