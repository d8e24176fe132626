import type { EmailOf } from '../email-types.js';
import { formatDate, plural } from '../format.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function trialEndingContent(email: EmailOf<'trial_ending'>, _context: TemplateContext): EmailContent {
  const endsOn = formatDate(email.trialEndsAt);
  return {
    subject: trialEndingSubject(email.daysLeft),
    preview: `Choose a plan before ${endsOn} to keep going.`,
    heading: trialEndingSubject(email.daysLeft),
    paragraphs: [
      `The trial for ${email.accountName} ends on ${endsOn}.`,
      'Choose a plan to keep your runs going without interruption.',
    ],
    action: { label: 'Choose a plan', url: email.upgradeUrl },
  };
}

function trialEndingSubject(daysLeft: number): string {
  if (daysLeft <= 0) return 'Your trial ends today';
  if (daysLeft === 1) return 'Your trial ends tomorrow';
  return `Your trial ends in ${plural(daysLeft, 'day')}`;
}
