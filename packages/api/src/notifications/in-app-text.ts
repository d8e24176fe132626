import type { Email } from '@tollgate/mail';
import { fromStored } from './notifier';

export interface InAppText {
  title: string;
  body: string;
  /** An in-app path (never an external URL: the bell only navigates inside the app). */
  link: string | null;
}

const SETTINGS = '/settings/subscription';

const dateOf = (date: Date) =>
  date.toLocaleDateString('en-US', { timeZone: 'UTC', year: 'numeric', month: 'long', day: 'numeric' });

/** The bell's short text for a stored notification (the email says the same at length). */
export function inAppText(kind: string, data: Record<string, unknown>): InAppText {
  const email = fromStored({ ...data, kind }) as Email;
  switch (email.kind) {
    case 'trial_started':
      return {
        title: 'Your trial has started',
        body: `${email.runs} runs until ${dateOf(email.trialEndsAt)}.`,
        link: SETTINGS,
      };
    case 'trial_ending':
      return {
        title: `Your trial ends in ${email.daysLeft} ${email.daysLeft === 1 ? 'day' : 'days'}`,
        body: `Choose a plan before ${dateOf(email.trialEndsAt)} to keep your runs.`,
        link: SETTINGS,
      };
    case 'payment_succeeded':
      return {
        title: 'Payment received',
        body: `Thank you: your ${email.planName} plan is paid.`,
        link: SETTINGS,
      };
    case 'payment_failed':
      return { title: 'Payment failed', body: 'Update your card to keep your plan.', link: SETTINGS };
    case 'auto_top_up_declined':
      return {
        title: 'Automatic run purchase declined',
        body: `${email.packName} was not added: the card was declined. No retry before ${dateOf(email.retryAfter)}.`,
        link: SETTINGS,
      };
    case 'dunning_reminder':
      return {
        title: 'Your payment is still failing',
        body: `Update your card before ${dateOf(email.graceEndsAt)} to keep ${email.planName}.`,
        link: SETTINGS,
      };
    case 'grace_ended':
      return {
        title: 'Your paid plan is paused',
        body: `You now have Free runs until your card is updated.`,
        link: SETTINGS,
      };
    case 'payment_recovered':
      return {
        title: 'Payment recovered',
        body: `Your ${email.planName} plan is active again.`,
        link: SETTINGS,
      };
    case 'subscription_canceled':
      return {
        title: 'Subscription canceled',
        body: `Your ${email.planName} plan has ended.`,
        link: SETTINGS,
      };
    case 'subscription_will_cancel':
      return {
        title: 'Subscription ends soon',
        body: `${email.planName} ends on ${dateOf(email.endsAt)}.`,
        link: SETTINGS,
      };
    case 'plan_changed':
      return { title: `Plan changed to ${email.toPlan}`, body: `From ${email.fromPlan}.`, link: SETTINGS };
    case 'usage_alert':
      return {
        title: usageTitle(email),
        body: `${email.used} of ${email.limit} runs used this period.`,
        link: SETTINGS,
      };
    default:
      return { title: 'Notification', body: '', link: null };
  }
}

function usageTitle(email: Extract<Email, { kind: 'usage_alert' }>): string {
  const { threshold } = email;
  if ('runsRemaining' in threshold) return `Only ${Math.max(0, email.limit - email.used)} runs left`;
  if (threshold.percent >= 100) return "You've used all your runs";
  return `You've used ${threshold.percent}% of your runs`;
}
