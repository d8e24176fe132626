import type { RouterOutputs, RunAuthorization, SubscriptionOverview } from '@tollgate/api';

export type { RunAuthorization, SubscriptionOverview };

/**
 * tRPC sends JSON without a transformer, so dates arrive as ISO strings (and are typed so). The helpers
 * hand back Date objects; listing every date field here means a new one fails the typecheck until
 * it is added.
 */
export function toRunAuthorization(output: RouterOutputs['usage']['authorize']): RunAuthorization {
  return { ...output, resetsAt: new Date(output.resetsAt) };
}

export function toSubscriptionOverview(
  output: RouterOutputs['billing']['subscription'],
): SubscriptionOverview {
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
