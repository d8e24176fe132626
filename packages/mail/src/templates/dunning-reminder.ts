import type { EmailOf } from '../email-types.js';
import { formatDate, formatMoney, plural } from '../format.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function dunningReminderContent(
  email: EmailOf<'dunning_reminder'>,
  _context: TemplateContext,
): EmailContent {
  const amount = email.amountDue === null ? null : formatMoney(email.amountDue, email.currency);
  const graceEndsOn = formatDate(email.graceEndsAt);
  return {
    subject: 'Reminder: your payment is still failing',
    preview: `Update your card before ${graceEndsOn} to keep ${email.planName}.`,
    heading: 'Your payment is still failing',
    paragraphs: [
      `It's been ${plural(email.daysSinceFailure, 'day')} since we couldn't charge ${amount ?? 'the renewal'} for the ${email.planName} plan on ${email.accountName}.`,
      `If the payment still fails on ${graceEndsOn}, the account moves to Free limits until the card is updated.`,
    ],
    details: [
      ...(amount === null ? [] : [{ label: 'Amount due', value: amount }]),
      { label: 'Plan paused on', value: graceEndsOn },
    ],
    action: { label: 'Update payment method', url: email.portalUrl },
  };
}
