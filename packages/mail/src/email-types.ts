export interface EmailContext {
  appUrl: string;
  /** Defaults to 'Tollgate'. */
  productName?: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export type MemberRole = 'owner' | 'admin' | 'member';

export type UsageThreshold = { percent: number } | { runsRemaining: number };

export type Email =
  | { kind: 'verify_email'; verifyUrl: string; expiresInHours: number }
  | { kind: 'password_reset'; resetUrl: string; expiresInMinutes: number }
  | {
      kind: 'team_invitation';
      accountName: string;
      inviterEmail: string;
      role: MemberRole;
      acceptUrl: string;
      expiresAt: Date;
    }
  | { kind: 'trial_started'; accountName: string; trialEndsAt: Date; runs: number }
  | { kind: 'trial_ending'; accountName: string; trialEndsAt: Date; daysLeft: number; upgradeUrl: string }
  | {
      kind: 'payment_succeeded';
      accountName: string;
      planName: string;
      /** Minor units (cents); zero-decimal currencies are whole units. */
      amountPaid: number;
      currency: string;
      invoiceUrl: string | null;
      invoiceNumber: string | null;
    }
  | {
      kind: 'payment_failed';
      accountName: string;
      planName: string;
      amountDue: number;
      currency: string;
      portalUrl: string;
      graceEndsAt: Date | null;
    }
  | {
      kind: 'dunning_reminder';
      accountName: string;
      planName: string;
      /** The failed invoice's amount; null when Tollgate never saw the invoice (only the status). */
      amountDue: number | null;
      currency: string;
      portalUrl: string;
      graceEndsAt: Date;
      daysSinceFailure: number;
    }
  | { kind: 'grace_ended'; accountName: string; planName: string; portalUrl: string }
  | {
      kind: 'auto_top_up_declined';
      accountName: string;
      packName: string;
      /** Minor units (cents). */
      amount: number;
      currency: string;
      /** Stripe's decline code (insufficient_funds, generic_decline, …). */
      declineCode: string;
      /** No automatic purchase is tried again before this. */
      retryAfter: Date;
      settingsUrl: string;
    }
  | { kind: 'payment_recovered'; accountName: string; planName: string }
  | { kind: 'subscription_canceled'; accountName: string; planName: string }
  | {
      kind: 'subscription_will_cancel';
      accountName: string;
      planName: string;
      endsAt: Date;
      settingsUrl: string;
    }
  | {
      kind: 'plan_changed';
      accountName: string;
      fromPlan: string;
      toPlan: string;
      runsPerPeriod: number | null;
    }
  | {
      kind: 'usage_alert';
      accountName: string;
      threshold: UsageThreshold;
      used: number;
      limit: number;
      periodEndsAt: Date;
      upgradeUrl: string;
    };

export type EmailKind = Email['kind'];

/** Narrows `Email` to one kind, so each template takes exactly its own payload. */
export type EmailOf<K extends EmailKind> = Extract<Email, { kind: K }>;
