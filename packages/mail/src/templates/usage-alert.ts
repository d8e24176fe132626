import type { EmailOf, UsageThreshold } from '../email-types.js';
import { formatCount, formatDate, plural } from '../format.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function usageAlertContent(email: EmailOf<'usage_alert'>, _context: TemplateContext): EmailContent {
  const resetsOn = formatDate(email.periodEndsAt);
  const subject = usageAlertSubject(email.threshold);
  const isExhausted = email.used >= email.limit;
  return {
    subject,
    preview: `${formatCount(email.used)} of ${formatCount(email.limit)} runs used; resets ${resetsOn}.`,
    heading: subject,
    paragraphs: [
      `${email.accountName} has used ${formatCount(email.used)} of ${plural(email.limit, 'run')} this billing period. Your allowance resets on ${resetsOn}.`,
      isExhausted
        ? 'New runs are blocked until then. Upgrade to keep going now.'
        : 'Upgrade for a larger allowance if you expect to need more.',
    ],
    action: { label: 'Upgrade plan', url: email.upgradeUrl },
  };
}

function usageAlertSubject(threshold: UsageThreshold): string {
  if ('percent' in threshold) {
    return threshold.percent >= 100
      ? "You've used all your runs"
      : `You've used ${formatCount(threshold.percent)}% of your runs`;
  }
  if (threshold.runsRemaining <= 0) return "You've used all your runs";
  return `Only ${plural(threshold.runsRemaining, 'run')} left`;
}
