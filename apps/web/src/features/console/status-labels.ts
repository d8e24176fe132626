import type { SubscriptionStatus } from '@tollgate/domain';
import type { BadgeTone } from '../billing/plan-labels';

/** "past_due" → "Past due". */
export function statusLabel(status: SubscriptionStatus): string {
  const words = status.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const TONES: Partial<Record<SubscriptionStatus, BadgeTone>> = {
  active: 'success',
  trialing: 'info',
  past_due: 'danger',
  unpaid: 'danger',
  incomplete: 'warning',
  paused: 'warning',
};

export function statusTone(status: SubscriptionStatus): BadgeTone {
  return TONES[status] ?? 'neutral';
}
