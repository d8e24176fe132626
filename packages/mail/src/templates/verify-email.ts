import type { EmailOf } from '../email-types.js';
import { plural } from '../format.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function verifyEmailContent(email: EmailOf<'verify_email'>, context: TemplateContext): EmailContent {
  return {
    subject: 'Verify your email address',
    preview: `Confirm your email to finish setting up ${context.productName}.`,
    heading: 'Confirm your email address',
    paragraphs: [
      `Thanks for signing up for ${context.productName}. Confirm that this is your email address to finish setting up your account.`,
    ],
    action: { label: 'Verify email address', url: email.verifyUrl },
    notes: [
      `This link expires in ${plural(email.expiresInHours, 'hour')}. If you didn't create a ${context.productName} account, you can ignore this email.`,
    ],
  };
}
