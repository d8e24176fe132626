import type { EmailOf } from '../email-types.js';
import { appLink } from '../safe-url.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function paymentRecoveredContent(
  email: EmailOf<'payment_recovered'>,
  context: TemplateContext,
): EmailContent {
  return {
    subject: 'Payment recovered',
    preview: `${email.planName} is fully active again.`,
    heading: 'Payment recovered',
    paragraphs: [
      `Thanks — your payment went through and the ${email.planName} plan is fully active again on ${email.accountName}.`,
    ],
    action: { label: `Open ${context.productName}`, url: appLink(context.appUrl, '/') },
  };
}
