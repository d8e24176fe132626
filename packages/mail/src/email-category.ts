import type { EmailKind } from './email-types.js';

export type EmailCategory = 'transactional' | 'usage_alerts' | 'reminders';

// A Record (not a switch with a default) so adding a kind without categorising it fails typecheck.
const CATEGORY_BY_KIND: Record<EmailKind, EmailCategory> = {
  verify_email: 'transactional',
  password_reset: 'transactional',
  team_invitation: 'transactional',
  trial_started: 'transactional',
  trial_ending: 'reminders',
  payment_succeeded: 'transactional',
  payment_failed: 'transactional',
  dunning_reminder: 'transactional',
  grace_ended: 'transactional',
  payment_recovered: 'transactional',
  subscription_canceled: 'transactional',
  subscription_will_cancel: 'transactional',
  plan_changed: 'transactional',
  usage_alert: 'usage_alerts',
  auto_top_up_declined: 'transactional',
};

export function emailCategory(kind: EmailKind): EmailCategory {
  return CATEGORY_BY_KIND[kind];
}

/** Transactional mail is always sent; the other categories are ones a user may switch off. */
export function isTransactional(kind: EmailKind): boolean {
  return emailCategory(kind) === 'transactional';
}
