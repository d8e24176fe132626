import type { EmailOf } from '../email-types.js';
import { appLink } from '../safe-url.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function subscriptionCanceledContent(
  email: EmailOf<'subscription_canceled'>,
  context: TemplateContext,
): EmailContent {
  return {
    subject: 'Your subscription was canceled',
    preview: `${email.accountName} is now on the Free plan.`,
    heading: 'Your subscription was canceled',
    paragraphs: [
      `The ${email.planName} subscription for ${email.accountName} has been canceled, and the account is now on the Free plan.`,
      'You can subscribe again at any time.',
    ],
    action: { label: 'View plans', url: appLink(context.appUrl, '/settings/subscription') },
  };
}
