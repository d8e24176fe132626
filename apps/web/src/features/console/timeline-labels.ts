import type { BadgeTone } from '../billing/plan-labels';
import type { TimelineEntry } from './console.api';

export interface KindBadge {
  label: string;
  tone: BadgeTone;
}

const KIND_BADGES: Record<TimelineEntry['kind'], KindBadge> = {
  stripe_event: { label: 'Stripe', tone: 'info' },
  plan_change: { label: 'Plan', tone: 'success' },
  run_denied: { label: '402', tone: 'warning' },
  notification: { label: 'Notice', tone: 'neutral' },
  operator_action: { label: 'Staff', tone: 'danger' },
};

/** The badge in front of a timeline entry: where it came from, at a glance. */
export function kindBadge(kind: TimelineEntry['kind']): KindBadge {
  return KIND_BADGES[kind];
}
