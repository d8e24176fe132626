import type { Email, EmailKind } from '../src/email-types.js';

export const APP_URL = 'https://app.tollgate.test';
export const HOSTILE_NAME = '<img src=x onerror=alert(1)>';

const DEC_3 = new Date('2026-12-03T12:00:00Z');
const DEC_10 = new Date('2026-12-10T23:30:00Z');

export interface RenderCase {
  email: Email;
  subject: string;
  /** The one link the button points at. */
  primaryUrl: string;
  /** Facts (amounts, dates, counts) that must appear in both the HTML and the text part. */
  mentions: string[];
}

/** One case per kind; `accountName` is replaced by callers that test escaping. */
export const RENDER_CASES: Record<EmailKind, RenderCase> = {
  verify_email: {
    email: { kind: 'verify_email', verifyUrl: `${APP_URL}/verify?token=abc123`, expiresInHours: 24 },
    subject: 'Verify your email address',
    primaryUrl: `${APP_URL}/verify?token=abc123`,
    mentions: ['24 hours'],
  },
  password_reset: {
    email: { kind: 'password_reset', resetUrl: `${APP_URL}/reset?token=r1`, expiresInMinutes: 30 },
    subject: 'Reset your Tollgate password',
    primaryUrl: `${APP_URL}/reset?token=r1`,
    mentions: ['30 minutes'],
  },
  team_invitation: {
    email: {
      kind: 'team_invitation',
      accountName: 'Acme',
      inviterEmail: 'ada@acme.test',
      role: 'admin',
      acceptUrl: `${APP_URL}/invitations/accept?token=i1`,
      expiresAt: DEC_10,
    },
    subject: "You're invited to join Acme on Tollgate",
    primaryUrl: `${APP_URL}/invitations/accept?token=i1`,
    mentions: ['ada@acme.test', 'an admin', 'December 10, 2026'],
  },
  trial_started: {
    email: { kind: 'trial_started', accountName: 'Acme', trialEndsAt: DEC_10, runs: 1000 },
    subject: 'Your Tollgate trial has started',
    primaryUrl: `${APP_URL}/`,
    mentions: ['December 10, 2026', '1,000 runs'],
  },
  trial_ending: {
    email: {
      kind: 'trial_ending',
      accountName: 'Acme',
      trialEndsAt: DEC_3,
      daysLeft: 3,
      upgradeUrl: `${APP_URL}/settings/subscription`,
    },
    subject: 'Your trial ends in 3 days',
    primaryUrl: `${APP_URL}/settings/subscription`,
    mentions: ['December 3, 2026'],
  },
  auto_top_up_declined: {
    email: {
      kind: 'auto_top_up_declined',
      accountName: 'Acme',
      packName: '100 runs',
      amount: 1000,
      currency: 'usd',
      declineCode: 'insufficient_funds',
      retryAfter: DEC_10,
      settingsUrl: `${APP_URL}/settings/subscription`,
    },
    subject: 'Automatic run purchase declined',
    primaryUrl: `${APP_URL}/settings/subscription`,
    mentions: ['$10.00', '100 runs', 'insufficient_funds', 'December 10, 2026'],
  },
  payment_succeeded: {
    email: {
      kind: 'payment_succeeded',
      accountName: 'Acme',
      planName: 'Pro',
      amountPaid: 4900,
      currency: 'usd',
      invoiceUrl: 'https://invoice.stripe.test/i/in_1',
      invoiceNumber: 'INV-0042',
    },
    subject: 'Payment received — $49.00',
    primaryUrl: 'https://invoice.stripe.test/i/in_1',
    mentions: ['$49.00', 'INV-0042', 'Pro'],
  },
  payment_failed: {
    email: {
      kind: 'payment_failed',
      accountName: 'Acme',
      planName: 'Pro',
      amountDue: 500,
      currency: 'jpy',
      portalUrl: 'https://billing.stripe.test/p/session_1',
      graceEndsAt: DEC_10,
    },
    subject: 'Payment failed — update your card',
    primaryUrl: 'https://billing.stripe.test/p/session_1',
    mentions: ['¥500', 'December 10, 2026'],
  },
  dunning_reminder: {
    email: {
      kind: 'dunning_reminder',
      accountName: 'Acme',
      planName: 'Pro',
      amountDue: 4900,
      currency: 'eur',
      portalUrl: 'https://billing.stripe.test/p/session_2',
      graceEndsAt: DEC_10,
      daysSinceFailure: 4,
    },
    subject: 'Reminder: your payment is still failing',
    primaryUrl: 'https://billing.stripe.test/p/session_2',
    mentions: ['€49.00', 'December 10, 2026', '4 days'],
  },
  grace_ended: {
    email: {
      kind: 'grace_ended',
      accountName: 'Acme',
      planName: 'Pro',
      portalUrl: 'https://billing.stripe.test/p/session_3',
    },
    subject: 'Your paid plan has been paused',
    primaryUrl: 'https://billing.stripe.test/p/session_3',
    mentions: ['Free plan limits', 'Pro'],
  },
  payment_recovered: {
    email: { kind: 'payment_recovered', accountName: 'Acme', planName: 'Pro' },
    subject: 'Payment recovered',
    primaryUrl: `${APP_URL}/`,
    mentions: ['Pro'],
  },
  subscription_canceled: {
    email: { kind: 'subscription_canceled', accountName: 'Acme', planName: 'Pro' },
    subject: 'Your subscription was canceled',
    primaryUrl: `${APP_URL}/settings/subscription`,
    mentions: ['Pro', 'Free plan'],
  },
  subscription_will_cancel: {
    email: {
      kind: 'subscription_will_cancel',
      accountName: 'Acme',
      planName: 'Pro',
      endsAt: DEC_3,
      settingsUrl: `${APP_URL}/settings/subscription`,
    },
    subject: 'Your subscription will end on December 3, 2026',
    primaryUrl: `${APP_URL}/settings/subscription`,
    mentions: ['December 3, 2026', 'Pro'],
  },
  plan_changed: {
    email: {
      kind: 'plan_changed',
      accountName: 'Acme',
      fromPlan: 'STARTER',
      toPlan: 'PRO',
      runsPerPeriod: 5000,
    },
    subject: 'Your plan changed to PRO',
    primaryUrl: `${APP_URL}/settings/subscription`,
    mentions: ['STARTER', 'PRO', '5,000 runs'],
  },
  usage_alert: {
    email: {
      kind: 'usage_alert',
      accountName: 'Acme',
      threshold: { percent: 80 },
      used: 800,
      limit: 1000,
      periodEndsAt: DEC_10,
      upgradeUrl: `${APP_URL}/settings/subscription`,
    },
    subject: "You've used 80% of your runs",
    primaryUrl: `${APP_URL}/settings/subscription`,
    mentions: ['800', '1,000 runs', 'December 10, 2026'],
  },
};

/** The same email with its account name swapped, for kinds that have one. */
export function withAccountName(email: Email, accountName: string): Email {
  return 'accountName' in email ? { ...email, accountName } : email;
}
