import type { EmailOf } from '../email-types.js';
import { plural } from '../format.js';
import type { EmailContent, TemplateContext } from './email-content.js';

export function passwordResetContent(
  email: EmailOf<'password_reset'>,
  context: TemplateContext,
): EmailContent {
  return {
    subject: `Reset your ${context.productName} password`,
    preview: 'Use this link to choose a new password.',
    heading: 'Reset your password',
    paragraphs: [`We received a request to reset the password for your ${context.productName} account.`],
    action: { label: 'Reset password', url: email.resetUrl },
    notes: [
      `This link expires in ${plural(email.expiresInMinutes, 'minute')}. If you didn't ask to reset your password, you can ignore this email; your password won't change.`,
    ],
  };
}
