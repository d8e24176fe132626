import type { EmailOf } from '../email-types.js';
import { formatDate, plural } from '../format.js';
import { appLink } from '../safe-url.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function trialStartedContent(email: EmailOf<'trial_started'>, context: TemplateContext): EmailContent {
  const endsOn = formatDate(email.trialEndsAt);
  return {
    subject: `Your ${context.productName} trial has started`,
    preview: `Your trial runs until ${endsOn}.`,
    heading: 'Your trial has started',
    paragraphs: [
      `${email.accountName} is on a free trial until ${endsOn}, with ${plural(email.runs, 'run')} included.`,
      "We'll remind you before the trial ends.",
    ],
    action: { label: `Open ${context.productName}`, url: appLink(context.appUrl, '/') },
  };
}
