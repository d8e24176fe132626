import * as db$ from '../src';
import { traced } from './shardable-capture';
import type { Database } from '../src';
import { NOW, PERIOD, SERVICE, runOf } from './reservation-helpers';

const DAY = 86_400_000;
const LATER = new Date(NOW.getTime() + 60_000);
const FAR = new Date(NOW.getTime() + 40 * DAY);
let counter = 0;
const repo = traced(db$);

async function user(db: Database, name: string) {
  counter += 1;
  const row = await repo.createUser(db, { email: `${name}${counter}@example.test`, createdAt: NOW });
  const accountId = await repo.ensurePersonalAccount(db, row.id, NOW);
  return { id: row.id, accountId, owner: { accountId, userId: row.id } };
}

/**
 * A representative day of the db package, every statement recorded: accounts and teams, the run
 * lifecycle (reserve, start, settle, release, sweeps), credits, overage and its meter batches,
 * subscriptions and their sync writes, notifications and mail, sessions and agent runs, the operator
 * console and analytics. The checker then reads every statement it sent.
 */
export async function runWorkload(db: Database): Promise<void> {
  const alice = await user(db, 'alice');
  const bob = await user(db, 'bob');
  await repo.findAccount(db, alice.accountId);
  await repo.findUserById(db, alice.id);
  await repo.findUserByEmail(db, `alice${counter}@example.test`);
  await repo.ensureHostUserAccount(db, 'host-user-1', NOW);
  await repo.ensureHostOrgAccount(db, { orgId: 'org-1', userId: 'host-user-1', role: 'member', now: NOW });

  // A team, its members and invitations.
  const team = await db.transaction((tx) =>
    repo.createTeamAccount(tx, { userId: alice.id, name: 'Team', now: NOW, perDayLimit: 5 }),
  );
  const teamId = team.ok ? team.account.id : alice.accountId;
  await db.transaction(async (tx) => {
    await repo.lockAccountForMembershipChange(tx, teamId);
    await repo.addMember(tx, { accountId: teamId, userId: bob.id, role: 'member', now: NOW });
    // Removed and back: the cap kept at removal (removed_member_caps) is the membership's again.
    await repo.setMemberCap(tx, { accountId: teamId, userId: bob.id, cap: 3, periodStart: null });
    await repo.removeMember(tx, teamId, bob.id, NOW);
    await repo.addMember(tx, { accountId: teamId, userId: bob.id, role: 'member', now: NOW });
    await repo.setMemberRole(tx, teamId, bob.id, 'admin');
    await repo.setMemberCap(tx, { accountId: teamId, userId: bob.id, cap: 5, periodStart: null });
    await repo.countOwners(tx, teamId);
  });
  await repo.findMembership(db, teamId, bob.id);
  await repo.listAccountsOfUser(db, bob.id);
  await repo.listMembers(db, teamId);
  await repo.countMembers(db, teamId);
  const invitation = await repo.replaceInvitation(db, {
    accountId: teamId,
    email: 'carol@example.test',
    role: 'member',
    tokenHash: 'invite-hash',
    invitedByUserId: alice.id,
    now: NOW,
    expiresAt: FAR,
    replaceableRoles: ['admin', 'member'],
  });
  if (!invitation) throw new Error('replaceInvitation refused');
  await repo.countInvitationsSince(db, { accountId: teamId, since: NOW });
  await db.transaction((tx) =>
    repo.countInvitationsToAddressSince(tx, { email: 'carol@example.test', since: NOW }),
  );
  await repo.listPendingInvitations(db, teamId);
  await repo.claimInvitation(db, {
    accountId: teamId,
    invitationId: invitation.id,
    tokenHash: 'invite-hash',
    userId: bob.id,
    now: NOW,
  });
  await repo.revokeInvitation(db, {
    accountId: teamId,
    invitationId: invitation.id,
    roles: ['member'],
    now: NOW,
  });
  await repo.getSeatState(db, teamId);
  await repo.listSeatDrift(db, ['TEAM']);
  await repo.listMissingOverageItems(db, {
    plans: ['BASIC', 'PRO', 'TEAM'],
    liveStatuses: ['active'],
    afterAccountId: null,
    limit: 10,
  });
  await repo.recordSeatSyncError(db, teamId, 'boom');

  // Subscriptions and their sync writes.
  await repo.ensureFreeSubscription(db, alice.accountId, NOW);
  await repo.getSubscription(db, alice.accountId);
  await repo.getSubscriptionState(db, alice.accountId);
  await repo.getSubscriptionStates(db, [alice.accountId, bob.accountId]);
  await repo.linkStripeCustomer(db, alice.accountId, 'cus_alice');
  await repo.findByStripeCustomerId(db, 'cus_alice');
  await repo.updateSubscription(db, alice.accountId, {
    plan: 'PRO',
    status: 'active',
    stripeSubscriptionId: 'sub_alice',
    currentPeriodStart: PERIOD.start,
    currentPeriodEnd: PERIOD.end,
  });
  await repo.findByStripeSubscriptionId(db, 'sub_alice');
  await repo.startSubscriptionSync(db, 'sub_alice');
  await repo.startSubscriptionSync(db, 'sub_nobody');
  await db.transaction(async (tx) => {
    await repo.lockSubscriptionRow(tx, alice.accountId);
    await repo.accountBasics(tx, alice.accountId);
    const pro = {
      status: 'active',
      plan: 'PRO',
      priceCents: 2000,
      interval: 'month',
      quantity: 1,
      discountCents: 0,
    } as const;
    const change = {
      accountId: alice.accountId,
      stripeSubscriptionId: 'sub_alice',
      source: 'webhook',
    } as const;
    await repo.recordSubscriptionChange(tx, { ...change, at: NOW, state: { ...pro, plan: 'BASIC' } });
    await repo.recordSubscriptionChange(tx, { ...change, at: LATER, state: pro });
    // A late event placed before the LATER row, which then repeats it and is removed.
    await repo.recordSubscriptionChange(tx, { ...change, at: new Date(NOW.getTime() + 1_000), state: pro });
  });
  await repo.listSubscriptionHistory(db, alice.accountId);
  await repo.listStripeLinkedSubscriptions(db);
  await repo.listSubscriptionsWithUnknownPrice(db);
  await repo.startTrialOnce(db, bob.owner, NOW);
  await repo.hasUsedTrial(db, bob.owner);
  await repo.listReminderCandidates(db, NOW, FAR);
  await repo.applyPeriodLimit(db, {
    accountId: alice.accountId,
    period: PERIOD,
    limit: 10,
    previousPeriodStart: null,
  });
  await repo.recordDuplicateSubscription(db, {
    accountId: alice.accountId,
    keptStripeSubscriptionId: 'sub_alice',
    canceledStripeSubscriptionId: 'sub_dup',
    canceledPlan: 'BASIC',
    detectedAt: NOW,
  });
  await repo.listDuplicateSubscriptionsOfAccount(db, alice.accountId);
  await repo.markDuplicateCanceled(db, 'sub_dup', { amountOwed: 0, currency: 'usd', canceledAt: NOW });
  await repo.recordDuplicateError(db, 'sub_dup', 'boom');
  await repo.listDuplicateSubscriptions(db);
  await repo.insertEnterpriseDeal(db, {
    accountId: alice.accountId,
    stripePriceId: 'price_ent',
    priceCents: 100_000,
    interval: 'year',
    collection: 'send_invoice',
    daysUntilDue: 30,
    createdBy: alice.id,
    runLimit: 100,
  });
  await repo.setEnterpriseDealSubscription(db, alice.accountId, 'price_ent', 'sub_ent');
  await repo.listEnterpriseDeals(db, alice.accountId);

  // Stripe events (platform rows, tagged with an account once known).
  await repo.recordEventOnce(db, { id: 'evt_1', type: 'invoice.paid', stripeCreatedAt: NOW });
  await repo.isEventRecorded(db, 'evt_1');
  await repo.setEventAccount(db, 'evt_1', alice.accountId);
  await repo.getStripeEvent(db, 'evt_1');
  await repo.listFailedEvents(db);

  // Spend settings, credits, alerts.
  await repo.changeSpendSettings(db, alice.accountId, { overageEnabled: true, cap: { runs: 100 } }, NOW);
  await repo.getSpendSettings(db, alice.accountId);
  await repo.setUsageAlertThresholds(db, alice.accountId, { percents: [80], runsRemaining: null }, NOW);
  await repo.getUsageAlertThresholds(db, [alice.accountId]);
  await repo.usageAlertThresholdsOf(db, alice.accountId);
  const pack = await repo.creditPackPurchase(db, {
    accountId: alice.accountId,
    packId: 'PACK_100',
    units: 5,
    checkoutSessionId: 'cs_1',
    paymentIntentId: 'pi_1',
    amountPaidCents: 500,
    currency: 'usd',
    purchasedAt: new Date(NOW.getTime() - DAY),
    expiresAt: FAR,
  });
  const { grant: operatorGrant } = await repo.insertOperatorGrant(db, {
    accountId: alice.accountId,
    units: 3,
    startsAt: new Date(NOW.getTime() - DAY),
    expiresAt: new Date(NOW.getTime() + DAY),
    grantedBy: alice.id,
    reason: 'support',
  });
  await repo.listCreditGrants(db, alice.accountId);

  // The run lifecycle: reserve (past the allowance into credits and overage), start, settle, release.
  const session = await repo.createSession(db, alice.owner, 'Research', NOW);
  await repo.listSessions(db, alice.owner);
  await repo.getSession(db, alice.owner, session.id);
  await repo.insertRun(db, {
    owner: alice.owner,
    sessionId: session.id,
    runId: 'run-1',
    prompt: 'p',
    now: NOW,
  });
  await repo.findRunByRunId(db, alice.owner, 'run-1');
  await repo.updateRunStatus(db, alice.owner, 'run-1', { status: 'completed', reply: 'ok', now: NOW });
  await repo.listRuns(db, alice.owner, session.id);
  const runs = Array.from({ length: 24 }, (_, i) =>
    runOf(alice.owner, `run-${i + 1}`, 10, { overagePrice: '12.5', units: i % 3 === 0 ? 2 : 1 }),
  );
  await repo.reserveRuns(db, runs.slice(0, 12));
  await repo.reserveRuns(db, [
    ...runs.slice(12),
    runOf(bob.owner, 'bob-1', 10),
    runOf({ accountId: teamId, userId: bob.id }, 'team-1', 10, { countsMember: true }),
  ]);
  await repo.reserveRuns(db, runs.slice(0, 2)); // retries: the stored answers
  for (let i = 1; i <= 20; i += 1) {
    await repo.startRun(db, {
      accountId: alice.accountId,
      runId: `run-${i}`,
      actor: SERVICE,
      attempt: `a-${i}`,
      now: LATER,
    });
  }
  for (let i = 1; i <= 10; i += 1) {
    await repo.settleRun(db, {
      accountId: alice.accountId,
      runId: `run-${i}`,
      actor: SERVICE,
      actual: i % 2 ? 1 : 3,
      now: LATER,
      overagePrice: '12.5',
    });
  }
  await repo.releaseRun(db, {
    accountId: alice.accountId,
    runId: 'run-21',
    actor: SERVICE,
    reason: 'service',
    now: LATER,
  });
  await repo.flagRunForReview(db, { accountId: alice.accountId, runId: 'run-11', reason: 'no answer' });
  await repo.findLedgerEntry(db, { accountId: alice.accountId, runId: 'run-11' });
  await repo.sweepUnstartedRuns(db, { reservedBefore: FAR, now: FAR, limit: 100 });
  await repo.sweepUnsettledRuns(db, { startedBefore: FAR, now: FAR, limit: 100 });
  await repo.getUsage(db, alice.accountId, PERIOD.start);
  await repo.countChargedRuns(db, alice.accountId, PERIOD.start);
  await repo.getPeriodOverage(db, alice.accountId, PERIOD.start);
  await repo.memberUsageOfPeriod(db, teamId, PERIOD.start);
  await repo.listUsageNearThresholds(db, NOW);
  await repo.deleteSession(db, alice.owner, session.id, LATER);

  // Auto top-up, expiry, refunds, revokes.
  await repo.changeSpendSettings(
    db,
    alice.accountId,
    { autoTopUp: { threshold: 50, packId: 'PACK_100', monthlyLimit: 3 } },
    NOW,
  );
  const topUp = await repo.startAutoTopUp(db, {
    accountId: alice.accountId,
    periodStart: PERIOD.start,
    now: NOW,
    monthStart: PERIOD.start,
  });
  await repo.readAutoTopUpBalance(db, { accountId: alice.accountId, periodStart: PERIOD.start, now: NOW });
  await repo.countAutoTopUpsSince(db, alice.accountId, PERIOD.start);
  await repo.latestAutoTopUp(db, alice.accountId);
  await repo.listStalePendingAutoTopUps(db, FAR);
  if (topUp)
    await repo.finishAutoTopUp(
      db,
      topUp,
      { status: 'declined', paymentIntentId: null, code: 'card_declined', backoffUntil: FAR },
      NOW,
    );
  await repo.applyPackRefund(db, { paymentIntentId: 'pi_1', amountRefundedCents: 250 });
  await repo.applyPackDispute(db, {
    paymentIntentId: 'pi_1',
    amountDisputedCents: 500,
    amountDisputeWonCents: 0,
  });
  await db.transaction((tx) =>
    repo.revokeCreditGrant(tx, { accountId: alice.accountId, grantId: operatorGrant.id }),
  );
  await repo.expireCreditGrants(db, { now: FAR, limit: 10 });
  void pack;

  // Overage to Stripe: flush, claim, finish, the period books.
  await repo.flushOverage(db, { now: LATER, eventName: 'agent_run_overage' });
  const claimed = await repo.claimDueMeterBatches(db, { now: LATER, limit: 10, leaseMs: 60_000 });
  for (const claim of claimed) {
    await repo.renewMeterBatchLease(db, claim, { leaseMs: 60_000, now: LATER });
    await repo.finishMeterBatchAttempt(db, claim, { status: 'delivered', at: LATER });
    await repo.meterPeriodBooks(db, { accountId: claim.accountId, periodId: claim.periodId });
  }
  await repo.abandonExpiredMeterBatches(db, FAR);
  await repo.listMeterBatches(db, { accountId: alice.accountId });
  await repo.listMeteredPeriods(db, { endedAfter: NOW });
  // Queue depth and age, read by the metrics scrape.
  await repo.meterBatchStats(db);
  await repo.emailOutboxStats(db);

  // Operator actions and the console.
  await db.transaction((tx) =>
    repo.changeAccountOverrides(tx, {
      accountId: alice.accountId,
      change: { runLimit: 50 },
      audit: {
        actorUserId: alice.id,
        actorRole: 'operator',
        action: 'set_limit',
        reason: 'test',
        requestId: null,
        at: NOW,
      },
    }),
  );
  await repo.getAccountOverrides(db, alice.accountId);
  await repo.listAudit(db, { accountId: alice.accountId });
  await repo.sumUnitsGrantedSince(db, alice.id, NOW);
  await repo.recordPaymentRequired(db, {
    accountId: bob.accountId,
    plan: 'FREE',
    code: 'quota',
    runId: 'refused-1',
    at: NOW,
  });
  await repo.listPaymentRequiredDays(db, bob.accountId);
  await repo.searchCustomers(db, {
    query: 'alice',
    sort: 'created',
    direction: 'desc',
    offset: 0,
    limit: 20,
    now: NOW,
  });
  await repo.listAccountTimeline(db, alice.accountId);
  await repo.listAccountMembersWithEmail(db, teamId);
  await repo.countRunsPerDay(db, alice.accountId, '2025-03-01');

  // Analytics (whole-platform scans).
  await repo.listTrialWindows(db);
  await repo.countRunsHoldingCharge(db, PERIOD.start, PERIOD.end);
  await repo.countGrantedAuthorizations(db, PERIOD.start, PERIOD.end);
  await repo.listAccountsCreated(db);
  await repo.listPackPurchases(db);
  await repo.listOverageByPeriod(db);

  // Notifications and mail (user-addressed, account-tagged).
  await repo.insertNotifications(db, [
    {
      userId: alice.id,
      accountId: alice.accountId,
      kind: 'usage_80',
      dedupeKey: 'n1',
      data: {},
      createdAt: NOW,
    },
  ]);
  await repo.listNotifications(db, alice.id, { limit: 10, before: null });
  await repo.countUnreadNotifications(db, alice.id);
  await repo.markNotificationsRead(db, alice.id, 'all', NOW);
  await repo.billingRecipients(db, alice.accountId);
  await repo.userRecipient(db, alice.id);
  await repo.setNotificationPreferences(db, alice.id, { usageAlertsEmail: false }, NOW);
  await repo.getNotificationPreferences(db, alice.id);
  await repo.latestNotificationData(db, alice.accountId, 'usage_80');
  await repo.enqueueEmails(db, [
    {
      dedupeKey: 'e1',
      accountId: alice.accountId,
      userId: alice.id,
      toAddress: 'a@example.test',
      kind: 'usage_80',
      data: {},
      nextAttemptAt: NOW,
    },
  ]);
  const emails = await repo.claimDueEmails(db, { now: LATER, limit: 10, leaseMs: 60_000 });
  for (const email of emails)
    await repo.finishEmailAttempt(db, email, { status: 'sent', at: LATER, eraseData: true });
  await repo.outboxBacklog(db, LATER);

  // Identity: API keys, refresh tokens, email tokens, platform roles.
  const key = await repo.insertApiKey(db, {
    name: 'k',
    prefix: 'tg_',
    keyHash: 'hash-1',
    scopes: ['runs:authorize'],
    createdByUserId: alice.id,
    accountId: alice.accountId,
    now: NOW,
  });
  await repo.findActiveApiKeyByHash(db, 'hash-1');
  await repo.listApiKeys(db, alice.accountId);
  await repo.touchLastUsed(db, key.id, NOW);
  await repo.revokeApiKey(db, key.id, NOW, alice.accountId);
  await repo.grantPlatformRole(db, { userId: alice.id, role: 'operator', grantedBy: 'cli', now: NOW });
  await repo.findPlatformRole(db, alice.id);
  await repo.listPlatformOperators(db);
}
