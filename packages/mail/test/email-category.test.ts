import { describe, expect, it } from 'vitest';
import { emailCategory, isTransactional } from '../src/email-category.js';
import type { EmailKind } from '../src/email-types.js';

const TRANSACTIONAL: EmailKind[] = [
  'verify_email',
  'password_reset',
  'team_invitation',
  'payment_succeeded',
  'payment_failed',
  'dunning_reminder',
  'grace_ended',
  'payment_recovered',
  'subscription_canceled',
  'subscription_will_cancel',
  'plan_changed',
  'trial_started',
];

describe('email categories', () => {
  it.each(TRANSACTIONAL)('%s is transactional', (kind) => {
    expect(isTransactional(kind)).toBe(true);
    expect(emailCategory(kind)).toBe('transactional');
  });

  it('usage_alert is an opt-out usage alert', () => {
    expect(isTransactional('usage_alert')).toBe(false);
    expect(emailCategory('usage_alert')).toBe('usage_alerts');
  });

  it('trial_ending is an opt-out reminder', () => {
    expect(isTransactional('trial_ending')).toBe(false);
    expect(emailCategory('trial_ending')).toBe('reminders');
  });
});
