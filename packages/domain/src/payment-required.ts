import { z } from 'zod';
import { DENIAL_CODES, type DenialCode } from './entitlement';
import { planIdSchema, type PlanId } from './plans';
import type { RunDenial } from './run-decision';
import { subscriptionStatusSchema, type SubscriptionStatus } from './subscription-status';

/** The body of every HTTP 402: the server guard sends it, the SDK middleware and the web app read it. */
export interface PaymentRequiredBody {
  error: {
    code: DenialCode;
    message: string;
    plan: PlanId;
    status: SubscriptionStatus;
    used: number;
    limit: number;
    /** ISO 8601, UTC. */
    resetsAt: string;
    upgradeUrl: string;
  };
}

export const paymentRequiredBodySchema: z.ZodType<PaymentRequiredBody> = z.object({
  error: z.object({
    code: z.enum(DENIAL_CODES),
    message: z.string(),
    plan: planIdSchema,
    status: subscriptionStatusSchema,
    used: z.number().int().nonnegative(),
    limit: z.number().int().nonnegative(),
    resetsAt: z.iso.datetime(),
    upgradeUrl: z.string().min(1),
  }),
});

export function toPaymentRequiredBody(denial: RunDenial, upgradeUrl: string): PaymentRequiredBody {
  return {
    error: {
      code: denial.code,
      message: denial.message,
      plan: denial.plan,
      status: denial.status,
      used: denial.used,
      limit: denial.limit,
      resetsAt: denial.resetsAt.toISOString(),
      upgradeUrl,
    },
  };
}
