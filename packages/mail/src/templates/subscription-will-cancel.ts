import type { EmailOf } from '../email-types.js';
import { formatDate } from '../format.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function subscriptionWillCancelContent(
  email: EmailOf<'subscription_will_cancel'>,
  _context: TemplateContext,
): EmailContent {
  const endsOn = formatDate(email.endsAt);
  return {
    subject: `Your subscription will end on ${endsOn}`,
    preview: `${email.planName} stays active until ${endsOn}.`,
    heading: 'Your subscription is set to end',
    paragraphs: [
      `The ${email.planName} subscription for ${email.accountName} will end on ${endsOn}. Until then everything keeps working.`,
      'Changed your mind? You can keep your subscription from the billing settings.',
    ],
    action: { label: 'Keep my subscription', url: email.settingsUrl },
  };
}
