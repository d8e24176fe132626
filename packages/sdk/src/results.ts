import type { RouterOutputs } from './router-types';

type AuthorizeOutput = RouterOutputs['usage']['authorize'];
type OverviewOutput = RouterOutputs['billing']['subscription'];
type SettleOutput = RouterOutputs['usage']['settle'];
type BalanceOutput = RouterOutputs['usage']['balance'];
type GrantOutput = BalanceOutput['grants'][number];

/**
 * `usage.authorize`'s answer with `resetsAt` as a Date. `remaining` is every unit the account can still
 * spend (what the allowance has left plus `credits`, the units left in packs and grants); `reserved` is
 * what this run reserved (its estimate).
 */
export type RunAuthorization = Omit<AuthorizeOutput, 'resetsAt'> & { resetsAt: Date };

/** `usage.settle`'s answer with `settledAt` as a Date. */
export type SettledRun = Omit<SettleOutput, 'settledAt'> & { settledAt: Date };

/** One pack or operator grant of a balance, with its points in time as Dates. */
export type CreditGrant = Omit<GrantOutput, 'startsAt' | 'expiresAt' | 'createdAt'> & {
  startsAt: Date;
  expiresAt: Date | null;
  createdAt: Date;
};

/** `usage.balance`'s answer (the allowance, then each grant in draw order) with Dates. */
export type Balance = Omit<BalanceOutput, 'allowance' | 'grants'> & {
  allowance: Omit<BalanceOutput['allowance'], 'periodStart' | 'periodEnd'> & {
    periodStart: Date;
    periodEnd: Date;
  };
  grants: CreditGrant[];
};

/** `billing.subscription`'s answer with every point in time as a Date. */
export type SubscriptionOverview = Omit<
  OverviewOutput,
  'currentPeriod' | 'endsAt' | 'nextBillingAt' | 'graceEndsAt' | 'trial' | 'usage'
> & {
  currentPeriod: { start: Date; end: Date } | null;
  endsAt: Date | null;
  nextBillingAt: Date | null;
  graceEndsAt: Date | null;
  trial: Omit<OverviewOutput['trial'], 'startedAt' | 'endsAt'> & {
    startedAt: Date | null;
    endsAt: Date | null;
  };
  usage: Omit<OverviewOutput['usage'], 'periodStart' | 'resetsAt'> & { periodStart: Date; resetsAt: Date };
};

/**
 * tRPC sends JSON without a transformer, so dates arrive as ISO strings (and are typed so). The helpers
 * hand back Date objects; listing every date field here means a new one fails the typecheck until
 * it is added.
 */
export function toRunAuthorization(output: AuthorizeOutput): RunAuthorization {
  return { ...output, resetsAt: new Date(output.resetsAt) };
}

export function toSettledRun(output: SettleOutput): SettledRun {
  return { ...output, settledAt: new Date(output.settledAt) };
}

export function toBalance(output: BalanceOutput): Balance {
  return {
    ...output,
    allowance: {
      ...output.allowance,
      periodStart: new Date(output.allowance.periodStart),
      periodEnd: new Date(output.allowance.periodEnd),
    },
    grants: output.grants.map((grant) => ({
      ...grant,
      startsAt: new Date(grant.startsAt),
      expiresAt: toDateOrNull(grant.expiresAt),
      createdAt: new Date(grant.createdAt),
    })),
  };
}

export function toSubscriptionOverview(output: OverviewOutput): SubscriptionOverview {
  return {
    ...output,
    currentPeriod: output.currentPeriod
      ? { start: new Date(output.currentPeriod.start), end: new Date(output.currentPeriod.end) }
      : null,
    endsAt: toDateOrNull(output.endsAt),
    nextBillingAt: toDateOrNull(output.nextBillingAt),
    graceEndsAt: toDateOrNull(output.graceEndsAt),
    trial: {
      ...output.trial,
      startedAt: toDateOrNull(output.trial.startedAt),
      endsAt: toDateOrNull(output.trial.endsAt),
    },
    usage: {
      ...output.usage,
      periodStart: new Date(output.usage.periodStart),
      resetsAt: new Date(output.usage.resetsAt),
    },
  };
}

function toDateOrNull(value: string | null): Date | null {
  return value === null ? null : new Date(value);
}
