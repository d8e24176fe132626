import type { EmailOf } from '../email-types.js';
import { formatDate, formatMoney } from '../format.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function paymentFailedContent(
  email: EmailOf<'payment_failed'>,
  _context: TemplateContext,
): EmailContent {
  const amount = formatMoney(email.amountDue, email.currency);
  const consequence = email.graceEndsAt
    ? `Your ${email.planName} plan stays active until ${formatDate(email.graceEndsAt)}. Update your card before then to avoid interruption.`
    : `Update your card to keep your ${email.planName} plan active.`;
  return {
    subject: 'Payment failed — update your card',
    preview: `We couldn't charge ${amount} for ${email.accountName}.`,
    heading: 'Your payment failed',
    paragraphs: [
      `We couldn't charge ${amount} for the ${email.planName} plan on ${email.accountName}.`,
      consequence,
    ],
    details: [
      { label: 'Account', value: email.accountName },
      { label: 'Plan', value: email.planName },
      { label: 'Amount due', value: amount },
    ],
    action: { label: 'Update payment method', url: email.portalUrl },
  };
}
