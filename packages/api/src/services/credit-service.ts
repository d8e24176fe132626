import { expireCreditGrants, getUsage, listCreditGrants, type CreditGrantRow } from '@tollgate/db';
import { DRAW_ORDER_TEXT, RUN_PACKS, USAGE_UNIT, isRunPackId } from '@tollgate/domain';
import type { ApiDeps } from '../config';
import type { BalanceView, CreditGrantView } from '../schemas/balance-schemas';
import type { Tenant } from '../tenant';
import type { SubscriptionService } from './subscription-service';
import { recordOperatorGrant, type GrantCreditsInput } from './operator-grant';

/** Balances (the allowance and every grant, in draw order), operators' grants, and the expiry sweep. */
export function createCreditService(deps: ApiDeps, subscriptions: SubscriptionService) {
  const { db, now } = deps;

  async function balance(tenant: Tenant): Promise<BalanceView> {
    const at = now();
    const state = await subscriptions.loadState(tenant);
    const entitlement = subscriptions.entitlementOf(state, at);
    const [used, grants] = await Promise.all([
      getUsage(db, tenant.accountId, entitlement.period.start),
      listCreditGrants(db, tenant.accountId),
    ]);
    const views = grants.map((grant) => grantView(grant, at));
    const creditsRemaining = views.reduce((sum, grant) => sum + (grant.isSpendable ? grant.remaining : 0), 0);
    const allowanceRemaining = Math.max(0, entitlement.limit - used);
    return {
      unit: { ...USAGE_UNIT },
      allowance: {
        plan: entitlement.plan,
        used,
        limit: entitlement.limit,
        remaining: allowanceRemaining,
        periodStart: entitlement.period.start,
        periodEnd: entitlement.period.end,
      },
      grants: views,
      creditsRemaining,
      totalRemaining: entitlement.block ? 0 : allowanceRemaining + creditsRemaining,
      drawOrder: DRAW_ORDER_TEXT,
    };
  }

  /** An operator's grant (see recordOperatorGrant): takes effect on the next authorization. */
  async function grantCredits(input: GrantCreditsInput): Promise<CreditGrantView> {
    const { isNew, grant } = await recordOperatorGrant(db, input, now);
    if (isNew) {
      deps.logger.info('credits granted', {
        accountId: input.accountId,
        units: input.units,
        by: input.grantedBy,
      });
    }
    return grantView(grant, now());
  }

  /** Records what expired grants still held as expired (breakage); returns how many units expired. */
  async function expireGrants(batchSize = 500): Promise<number> {
    let units = 0;
    for (;;) {
      const expired = await expireCreditGrants(db, { now: now(), limit: batchSize });
      units += expired.reduce((sum, grant) => sum + grant.units, 0);
      if (expired.length < batchSize) return units;
    }
  }

  return { balance, grantCredits, expireGrants };
}

function grantView(grant: CreditGrantRow, at: Date): CreditGrantView {
  const isStarted = grant.startsAt.getTime() <= at.getTime();
  const isExpired = grant.expiresAt !== null && grant.expiresAt.getTime() <= at.getTime();
  const pack = isRunPackId(grant.packId) ? RUN_PACKS[grant.packId] : null;
  return {
    id: grant.id,
    source: grant.source,
    packId: pack?.id ?? null,
    name: pack ? `${pack.name} pack` : 'Granted runs',
    units: grant.units,
    remaining: isExpired ? 0 : grant.remaining,
    startsAt: grant.startsAt,
    expiresAt: grant.expiresAt,
    createdAt: grant.createdAt,
    // Not yet swept: what an expired grant still holds is shown as expired already.
    expiredUnits: grant.expiredUnits + (isExpired ? grant.remaining : 0),
    clawbackUnits: grant.clawbackUnits,
    clawedBackUnits: grant.clawedBackUnits,
    amountPaidCents: grant.amountPaidCents,
    amountRefundedCents: grant.amountRefundedCents,
    amountDisputedCents: grant.amountDisputedCents,
    reason: grant.reason,
    isSpendable: isStarted && !isExpired && grant.remaining > 0,
  };
}

export type CreditService = ReturnType<typeof createCreditService>;
