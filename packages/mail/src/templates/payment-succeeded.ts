import type { EmailOf } from '../email-types.js';
import { formatMoney } from '../format.js';
import { appLink } from '../safe-url.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function paymentSucceededContent(
  email: EmailOf<'payment_succeeded'>,
  context: TemplateContext,
): EmailContent {
  const amount = formatMoney(email.amountPaid, email.currency);
  const details = [
    { label: 'Account', value: email.accountName },
    { label: 'Plan', value: email.planName },
    { label: 'Amount paid', value: amount },
  ];
  if (email.invoiceNumber) details.push({ label: 'Invoice', value: email.invoiceNumber });
  return {
    subject: `Payment received — ${amount}`,
    preview: `Thanks for your payment of ${amount}.`,
    heading: 'Thanks for your payment',
    paragraphs: [`We received ${amount} for the ${email.planName} plan on ${email.accountName}.`],
    details,
    action: email.invoiceUrl
      ? { label: 'View invoice', url: email.invoiceUrl }
      : { label: 'View billing', url: appLink(context.appUrl, '/settings/subscription') },
  };
}
