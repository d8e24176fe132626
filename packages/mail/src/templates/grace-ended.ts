import type { EmailOf } from '../email-types.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function graceEndedContent(email: EmailOf<'grace_ended'>, _context: TemplateContext): EmailContent {
  return {
    subject: 'Your paid plan has been paused',
    preview: `${email.accountName} is on Free limits until the card is updated.`,
    heading: 'Your paid plan has been paused',
    paragraphs: [
      `We still couldn't collect payment for the ${email.planName} plan, so ${email.accountName} now has Free plan limits.`,
      `Update your payment method and ${email.planName} comes back straight away.`,
    ],
    action: { label: 'Update payment method', url: email.portalUrl },
  };
}
