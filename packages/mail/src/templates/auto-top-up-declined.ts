import type { EmailOf } from '../email-types.js';
import { formatDate, formatMoney } from '../format.js';
import type { EmailContent, TemplateContext } from './email-content.js';

/** An automatic pack purchase was declined: no runs were added, and when it will be tried again. */
export function autoTopUpDeclinedContent(
  email: EmailOf<'auto_top_up_declined'>,
  _context: TemplateContext,
): EmailContent {
  const amount = formatMoney(email.amount, email.currency);
  return {
    subject: 'Automatic run purchase declined',
    preview: `We couldn't charge ${amount} for ${email.packName} on ${email.accountName}.`,
    heading: 'Your automatic run purchase was declined',
    paragraphs: [
      `Your balance fell below your auto top-up threshold, but the card on file was declined (${email.declineCode}) for ${email.packName} (${amount}). No runs were added.`,
      `We won't try again before ${formatDate(email.retryAfter)}. Update your card, or buy runs yourself, to keep your agents running.`,
    ],
    details: [
      { label: 'Account', value: email.accountName },
      { label: 'Pack', value: email.packName },
      { label: 'Amount', value: amount },
      { label: 'Reason', value: email.declineCode },
    ],
    action: { label: 'Open billing settings', url: email.settingsUrl },
  };
}
