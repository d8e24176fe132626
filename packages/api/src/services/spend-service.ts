import {
  appendAudit,
  changeSpendSettings,
  countAutoTopUpsSince,
  getPeriodOverage,
  getSpendSettings,
  latestAutoTopUp,
  type AccountSpendSettingsRow,
  type SpendSettingsChange,
} from '@tollgate/db';
import {
  AppError,
  OVERAGE_PRICE,
  RUN_PACKS,
  effectiveCap,
  forecastOverageCents,
  isOverageBillable,
  isRunPackId,
  overageAmountCents,
  type PlanId,
  type SpendCap,
} from '@tollgate/domain';
import type { OverageItems } from '../billing/overage-items';
import type { ApiDeps } from '../config';
import type { SpendCapInput, SpendOverview, SpendSettingsInput } from '../schemas/spend-schemas';
import type { Tenant } from '../tenant';
import type { SubscriptionService } from './subscription-service';

/**
 * Overage, spend caps and auto top-up settings of an account: what its admins see and change, and the
 * operator's cap. The reservation statement reads the stored settings itself; this service only
 * validates and stores them (and puts the metered price on the subscription when overage is turned on).
 */
export function createSpendService(
  deps: ApiDeps,
  subscriptions: SubscriptionService,
  overageItems: OverageItems | null = null,
) {
  const { db, now } = deps;
  const overageSettings = deps.billing?.overage ?? null;
  const unitAmountDecimal = overageSettings?.unitAmountDecimal ?? OVERAGE_PRICE.unitAmountDecimal;

  async function overview(tenant: Tenant): Promise<SpendOverview> {
    const at = now();
    const state = await subscriptions.loadState(tenant);
    const entitlement = subscriptions.entitlementOf(state, at);
    const [settings, overageRuns, purchases, latest] = await Promise.all([
      getSpendSettings(db, tenant.accountId),
      getPeriodOverage(db, tenant.accountId, entitlement.period.start),
      countAutoTopUpsSince(db, tenant.accountId, monthStart(at)),
      latestAutoTopUp(db, tenant.accountId),
    ]);
    const caps = capsOf(settings);
    const spentCents = overageAmountCents(overageRuns, unitAmountDecimal);
    const forecast = forecastOverageCents({
      spentCents,
      periodStart: entitlement.period.start,
      periodEnd: entitlement.period.end,
      now: at,
    });
    const unavailableReason = overageUnavailableReason(entitlement.plan, state.stripeSubscriptionId);
    return {
      overage: {
        enabled: settings?.overageEnabled ?? false,
        isAvailable: unavailableReason === null,
        unavailableReason,
        unitAmountDecimal,
        currency: OVERAGE_PRICE.currency,
      },
      cap: caps.account,
      operatorCap: caps.operator,
      effectiveCap: effectiveCap(caps, unitAmountDecimal),
      period: { start: entitlement.period.start, end: entitlement.period.end },
      overageRuns,
      spentCents,
      forecast,
      autoTopUp: {
        enabled: settings?.autoTopUpEnabled ?? false,
        threshold: settings?.autoTopUpThreshold ?? null,
        packId:
          settings?.autoTopUpPackId && isRunPackId(settings.autoTopUpPackId)
            ? settings.autoTopUpPackId
            : null,
        monthlyLimit: settings?.autoTopUpMonthlyLimit ?? null,
        purchasesThisMonth: purchases,
        backoffUntil: settings?.autoTopUpBackoffUntil ?? null,
        lastFailure:
          latest && (latest.status === 'declined' || latest.status === 'failed')
            ? `${latest.status}: ${latest.failureCode ?? 'unknown'}`
            : null,
      },
    };
  }

  /** Why overage can't be turned on for this account now (null: it can). */
  function overageUnavailableReason(plan: PlanId, subscriptionId: string | null): string | null {
    if (!overageSettings) return 'Overage billing is not configured on this deployment.';
    if (!isOverageBillable(plan) || !subscriptionId) {
      return 'Overage needs a Basic, Pro or Team subscription.';
    }
    return null;
  }

  /** An owner's or admin's change: overage on/off, their cap, auto top-up. */
  async function update(tenant: Tenant, input: SpendSettingsInput): Promise<SpendOverview> {
    const change: SpendSettingsChange = {};
    if (input.overageEnabled !== undefined) change.overageEnabled = input.overageEnabled;
    if (input.cap !== undefined) change.cap = toStoredCap(input.cap);
    if (input.autoTopUp !== undefined) {
      if (input.autoTopUp && input.autoTopUp.threshold >= RUN_PACKS[input.autoTopUp.packId].units) {
        // A pack that doesn't lift the balance back over the threshold would be bought again at once.
        throw new AppError(
          'BAD_REQUEST',
          `The threshold must be below the pack's ${RUN_PACKS[input.autoTopUp.packId].units} runs`,
        );
      }
      change.autoTopUp = input.autoTopUp;
    }
    if (input.overageEnabled === true) {
      const state = await subscriptions.loadState(tenant);
      const entitlement = subscriptions.entitlementOf(state, now());
      const reason = overageUnavailableReason(entitlement.plan, state.stripeSubscriptionId);
      if (reason) throw new AppError('CONFLICT', reason);
      await overageItems?.ensure(tenant.accountId, state.stripeSubscriptionId ?? '');
    }
    await changeSpendSettings(db, tenant.accountId, change, now());
    deps.logger.info('spend settings changed', { accountId: tenant.accountId, by: tenant.userId, ...input });
    return overview(tenant);
  }

  /** An operator's cap (the stricter of it and the account's wins); null removes it. */
  async function setOperatorCap(
    accountId: string,
    cap: SpendCapInput | null,
    actor: { userId: string; role: string; requestId: string | null; reason: string },
  ): Promise<void> {
    const at = now();
    await db.transaction(async (tx) => {
      const before = capsOf(await getSpendSettings(tx, accountId)).operator;
      await changeSpendSettings(tx, accountId, { operatorCap: toStoredCap(cap) }, at);
      await appendAudit(tx, {
        actorUserId: actor.userId,
        actorRole: actor.role,
        action: 'set_spend_cap',
        accountId,
        before: { operatorCap: before },
        after: { operatorCap: cap },
        reason: actor.reason,
        requestId: actor.requestId,
        at,
      });
    });
    deps.logger.info('operator spend cap set', { accountId, cap, by: actor.userId });
  }

  return { overview, update, setOperatorCap };
}

export type SpendService = ReturnType<typeof createSpendService>;

function capsOf(settings: AccountSpendSettingsRow | null): {
  account: SpendCap | null;
  operator: SpendCap | null;
} {
  const cap = (cents: number | null | undefined, runs: number | null | undefined): SpendCap | null =>
    cents != null ? { kind: 'money', cents } : runs != null ? { kind: 'runs', runs } : null;
  return {
    account: cap(settings?.capCents, settings?.capRuns),
    operator: cap(settings?.operatorCapCents, settings?.operatorCapRuns),
  };
}

function toStoredCap(cap: SpendCapInput | null): SpendSettingsChange['cap'] {
  if (cap === null) return null;
  return cap.kind === 'money' ? { cents: cap.cents } : { runs: cap.runs };
}

/** The first instant of `at`'s calendar month, UTC (the auto top-up limit counts per month). */
export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}
