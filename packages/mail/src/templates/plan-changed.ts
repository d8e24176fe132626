import type { EmailOf } from '../email-types.js';
import { plural } from '../format.js';
import { appLink } from '../safe-url.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function planChangedContent(email: EmailOf<'plan_changed'>, context: TemplateContext): EmailContent {
  const paragraphs = [`${email.accountName} moved from ${email.fromPlan} to ${email.toPlan}.`];
  // null means the plan has no fixed run allowance to quote; say nothing rather than guess.
  if (email.runsPerPeriod !== null) {
    paragraphs.push(`It includes ${plural(email.runsPerPeriod, 'run')} per billing period.`);
  }
  return {
    subject: `Your plan changed to ${email.toPlan}`,
    preview: `${email.accountName} is now on ${email.toPlan}.`,
    heading: `You're now on ${email.toPlan}`,
    paragraphs,
    details: [
      { label: 'Previous plan', value: email.fromPlan },
      { label: 'New plan', value: email.toPlan },
    ],
    action: { label: 'View your plan', url: appLink(context.appUrl, '/settings/subscription') },
  };
}
