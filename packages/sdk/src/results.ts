import type { RouterOutputs } from './router-types';

type AuthorizeOutput = RouterOutputs['usage']['authorize'];
type OverviewOutput = RouterOutputs['billing']['subscription'];

/** `usage.authorize`'s answer with `resetsAt` as a Date. */
export type RunAuthorization = Omit<AuthorizeOutput, 'resetsAt'> & { resetsAt: Date };

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
